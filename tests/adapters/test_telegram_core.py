"""The real PTB Application, the fake Bot API and the real core together.

What a Telegram user sees from the core (Swedish by default), in polling and
webhook mode, with the menus generated from the core's command registry and
a 429 and a 403 injected on the way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.config import Settings
from tests.fakes.telegram_api import FakeTelegram

if TYPE_CHECKING:
    from tests.adapters.conftest import TgRunning

Run = Callable[[object, Settings], Awaitable["TgRunning"]]
ADA = 4242


async def test_start_and_help_in_swedish_over_polling(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    await tg_run(tg_core, tg_settings())
    tg_fake.inject_command(ADA, "start", first_name="Ada", language_code=None)
    welcome = await tg_fake.next_message(ADA)
    assert welcome.text is not None and welcome.text.startswith("Hej Ada!")
    assert welcome.buttons and all(data for row in welcome.buttons for _, data in row)

    tg_fake.inject_command(ADA, "help")
    help_text = (await tg_fake.next_message(ADA)).text or ""
    assert "/start" in help_text and "/help" in help_text
    assert "Se vad jag kan hjälpa dig med" in help_text


async def test_a_menu_button_is_answered_and_handled(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    await tg_run(tg_core, tg_settings())
    tg_fake.inject_command(ADA, "start", language_code=None)
    welcome = await tg_fake.next_message(ADA)
    pressed = next(data for row in welcome.buttons for _, data in row if data == "menu:help")
    tg_fake.inject_callback(ADA, pressed, message_id=welcome.message_id, language_code=None)
    answer = await tg_fake.next_message(ADA)
    assert "/help" in (answer.text or "")
    assert len(tg_fake.calls_of("answerCallbackQuery")) == 1


async def test_english_speakers_get_english(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    await tg_run(tg_core, tg_settings())
    tg_fake.inject_command(ADA, "help", language_code="en")
    assert "See what I can help you with" in ((await tg_fake.next_message(ADA)).text or "")


async def test_command_menus_come_from_the_registry(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    await tg_run(tg_core, tg_settings())
    await tg_fake.wait_for_call("setmycommands", count=6)  # set right after ready
    visible = [s for s in tg_core.commands.all() if not s.organiser_only and "dm" in s.where]
    for lang in ("sv", "en"):
        menu = tg_fake.commands[("all_private_chats", lang)]
        assert [c["command"] for c in menu] == [s.name for s in visible]
        assert [c["description"] for c in menu] == [s.description[lang] for s in visible]
    assert (
        tg_fake.commands[("all_private_chats", "")] == tg_fake.commands[("all_private_chats", "sv")]
    )


async def test_webhook_mode_checks_the_secret(
    tg_fake: FakeTelegram,
    tg_core: Any,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
    tg_free_port: int,
) -> None:
    import aiohttp

    url = f"http://127.0.0.1:{tg_free_port}/telegram"
    await tg_run(
        tg_core,
        tg_settings(
            telegram_webhook_url=url,
            telegram_webhook_secret="right-secret",
            telegram_webhook_listen=f"127.0.0.1:{tg_free_port}",
        ),
    )
    update = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": ADA, "type": "private"},
            "from": {"id": ADA, "is_bot": False, "first_name": "Eve"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "wrong-secret"}
        async with session.post(url, json=update, headers=wrong) as resp:
            assert resp.status == 403
    tg_fake.inject_command(ADA, "start", first_name="Ada", language_code=None)
    welcome = await tg_fake.next_message(ADA)
    assert (welcome.text or "").startswith("Hej Ada!")  # not Eve: the forged one was refused
    assert tg_fake.webhook_statuses == [200]


async def test_a_429_is_waited_out_and_the_reply_arrives_once(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    await tg_run(tg_core, tg_settings())
    tg_fake.fail_next("sendMessage", times=1, retry_after=1)
    started = time.monotonic()
    tg_fake.inject_command(ADA, "help")
    first = await tg_fake.next_message(ADA, within=8)
    assert time.monotonic() - started >= 1.0
    assert "/help" in (first.text or "")
    await asyncio.sleep(0.3)
    assert len(tg_fake.messages_to(ADA)) == 1
    assert len(tg_fake.calls_of("sendMessage")) == 2


async def test_a_user_who_blocked_the_bot_is_marked_unreachable(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    from bot.store.models import Identity, OutboxMessage, Person

    async def ada() -> Any:
        async with tg_core.db.sessions() as session:
            return await session.scalar(
                select(Person)
                .join(Identity, Identity.person_id == Person.id)
                .where(Identity.platform == "telegram", Identity.user_id == str(ADA))
            )

    await tg_run(tg_core, tg_settings())
    tg_fake.inject_command(ADA, "start")
    await tg_fake.next_message(ADA)
    tg_fake.block(ADA)
    tg_fake.inject_command(ADA, "help")
    await tg_fake.wait_for_call("sendMessage", count=2)
    # The reply went through the outbox: its delivery failed for good, and
    # that marked Ada unreachable, with no retry.
    for _ in range(100):
        person = await ada()
        if person.unreachable_at is not None:
            break
        await asyncio.sleep(0.02)
    assert person.unreachable_at is not None
    async with tg_core.db.sessions() as session:
        failed = (await session.scalars(select(OutboxMessage.error))).all()
    assert "blocked" in failed


async def test_an_edit_is_recorded_with_the_message_after_it(
    tg_fake: FakeTelegram, tg_core: Any, tg_fast_limiter: Callable[[], Any]
) -> None:
    """An edit and the message after it are recorded sent in one transaction
    (repeating an edit after a crash is harmless; the message's record still
    commits before the next message goes).  When the message fails, the edit
    is recorded anyway and only the message is tried again."""
    from contextlib import asynccontextmanager

    from adapters.telegram.runner import build_application
    from bot.core.types import Address, Reply
    from bot.store import outbox
    from bot.store.models import OutboxMessage

    app = build_application(tg_core, tg_core.settings, rate_limiter=tg_fast_limiter())
    await app.initialize()
    marks: list[bool] = []
    transaction = tg_core.db.transaction

    @asynccontextmanager
    async def counted(**kwargs: Any) -> Any:
        if kwargs.get("durable") is False:
            marks.append(True)
        async with transaction(**kwargs) as session:
            yield session

    tg_core.db.transaction = counted
    bookkeep = tg_core.db.bookkeep

    async def counted_marks(statement: Any, params: list[dict[str, Any]]) -> None:
        marks.append(True)  # the marks' own short transaction, on a bare connection
        await bookkeep(statement, params)

    tg_core.db.bookkeep = counted_marks  # type: ignore[method-assign]
    tg_fake.known_chat(ADA)
    chat = Address("telegram", str(ADA), kind="dm")
    try:
        for round_, fail in enumerate((False, True)):
            question = await app.bot.send_message(chat_id=ADA, text="Which day?")
            now = tg_core.clock.now()
            async with transaction() as session:
                edit = await outbox.enqueue(
                    session,
                    chat,
                    Reply(f"Tuesday {round_}", replace=True),
                    now,
                    edit_ref=str(question.message_id),
                )
                after = await outbox.enqueue(session, chat, Reply(f"Next {round_}"), now)
            if fail:
                tg_fake.fail_next("sendMessage", status=502, description="Bad Gateway")
            marks.clear()
            calls = len(tg_fake.calls)
            await tg_core.delivery.deliver_claimed([edit, after])
            methods = [c.method for c in tg_fake.calls[calls:]]
            assert methods == ["editmessagetext", "sendmessage"]
            async with tg_core.db.sessions() as session:
                rows = {
                    r.id: r
                    for r in await session.scalars(
                        select(OutboxMessage).where(OutboxMessage.id.in_([edit, after]))
                    )
                }
            assert rows[edit].sent_at is not None
            if not fail:
                assert rows[after].sent_at is not None
                assert len(marks) == 1  # one record for both
            else:
                assert rows[after].sent_at is None and rows[after].attempts == 1
                assert len(marks) == 1  # the edit's record, after the failure
    finally:
        tg_core.db.transaction = transaction
        tg_core.db.bookkeep = bookkeep  # type: ignore[method-assign]
        await app.shutdown()
