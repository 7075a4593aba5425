"""The real PTB Application against the fake Bot API, with a stand-in core.

These check the adapter's own duties (polling, webhook secret, menus, edits,
documents, 429 and 403) independently of what the core says; the tests with
the real core are in ``test_telegram_core.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import aiohttp
import httpx
import pytest
from telegram.request import HTTPXRequest

from adapters.telegram.http import AiohttpRequest
from adapters.telegram.runner import build_application
from adapters.telegram.transport import TelegramTransport
from bot.config import Settings
from bot.core.ports import DeliveryError
from bot.core.types import Address, Attachment, Choice, CommandIn, Outgoing, Reply
from bot.store.inbox import Incoming
from tests.fakes.telegram_api import FakeTelegram

if TYPE_CHECKING:
    from tests.adapters.conftest import TgRunning, TgStandInCore

Run = Callable[[object, Settings], Awaitable["TgRunning"]]
ADA = 42
BO = 43


async def test_polling_answers_a_deep_link_start(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
) -> None:
    await tg_run(tg_standin, tg_settings())
    tg_fake.inject_command(ADA, "start", "inv_code", language_code="en")
    sent = await tg_fake.next_message(ADA)
    assert sent.text == "start|inv_code"
    assert sent.buttons == [[("Yes", "c:yes"), ("No", "c:no")]]
    assert "parse_mode" not in sent.params  # user text can never break markup
    event = tg_standin.events[0]
    assert isinstance(event, CommandIn) and event.actor.locale == "en"


async def test_a_pressed_button_is_answered_and_edits_its_message(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
) -> None:
    await tg_run(tg_standin, tg_settings())
    tg_fake.inject_command(ADA, "start")
    first = await tg_fake.next_message(ADA)
    tg_fake.inject_callback(ADA, first.button("yes"), message_id=first.message_id)
    edited = await tg_fake.next_message(ADA)
    assert (edited.method, edited.message_id, edited.text) == (
        "editmessagetext",
        first.message_id,
        "chose c:yes",
    )
    assert edited.buttons == []
    answers = tg_fake.calls_of("answerCallbackQuery")
    assert len(answers) == 1
    # answered before the edit went out
    assert tg_fake.calls.index(answers[0]) < max(
        i for i, c in enumerate(tg_fake.calls) if c.method == "editmessagetext"
    )


async def test_a_webhook_press_is_answered_in_the_response_not_by_a_request(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
    tg_free_port: int,
) -> None:
    url = f"http://127.0.0.1:{tg_free_port}/tg/hook"
    settings = tg_settings(
        telegram_webhook_url=url,
        telegram_webhook_secret="s3cret-token",
        telegram_webhook_listen=f"127.0.0.1:{tg_free_port}",
    )
    await tg_run(tg_standin, settings)
    tg_fake.inject_command(ADA, "start")
    first = await tg_fake.next_message(ADA)
    press = tg_fake.inject_callback(ADA, first.button("yes"), message_id=first.message_id)
    edited = await tg_fake.next_message(ADA)
    assert (edited.method, edited.message_id, edited.text) == (
        "editmessagetext",
        first.message_id,
        "chose c:yes",
    )
    # The spinner was stopped by the webhook's answer, with no request of its own;
    # the edit is still a request of its own (through the outbox).
    (answer,) = tg_fake.calls_of("answerCallbackQuery")
    assert answer.via_webhook
    assert answer.params == {"callback_query_id": press["callback_query"]["id"]}
    assert not any(c.via_webhook for c in tg_fake.calls if c.method != "answercallbackquery")
    assert tg_fake.webhook_statuses == [200, 200]
    assert [type(e).__name__ for e in tg_standin.events] == ["CommandIn", "ChoiceIn"]


async def test_concurrent_webhook_updates_share_a_store_and_each_is_answered_after_it(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
    tg_free_port: int,
) -> None:
    """Webhook requests that arrive while a store runs are stored together in
    the next one (one transaction, not one each); every request is answered
    200 only after its own update was stored, and an update Telegram sends
    twice is handled once."""
    url = f"http://127.0.0.1:{tg_free_port}/tg/hook"
    settings = tg_settings(
        telegram_webhook_url=url,
        telegram_webhook_secret="s3cret-token",
        telegram_webhook_listen=f"127.0.0.1:{tg_free_port}",
    )
    batches: list[list[str]] = []
    stored: list[str] = []
    receive = tg_standin.receive

    async def slow_receive(items: Sequence[Incoming]) -> dict[str, int]:
        # No request is answered before its update is stored.
        assert len(tg_fake.webhook_statuses) <= len(stored)
        batches.append([item.update_id for item in items])
        await asyncio.sleep(0.3)  # the other requests arrive meanwhile
        ids = await receive(items)
        stored.extend(item.update_id for item in items)
        return ids

    tg_standin.receive = slow_receive  # type: ignore[method-assign]
    await tg_run(tg_standin, settings)
    people = range(100, 110)
    updates = [tg_fake.inject_command(uid, "start") for uid in people]
    tg_fake.redeliver(updates[0])  # a retried webhook: the same update_id
    for uid in people:
        assert (await tg_fake.next_message(uid)).text == "start|"
    await tg_fake.wait_for_call("sendmessage", count=len(people))
    await asyncio.sleep(0.3)
    assert tg_fake.webhook_statuses == [200] * (len(people) + 1)
    assert sorted(stored) == sorted([str(u["update_id"]) for u in [*updates, updates[0]]])
    assert len(batches) < len(people) + 1, batches  # requests shared a store
    assert max(len(b) for b in batches) > 1
    assert len(tg_standin.events) == len(people)  # the repeat was handled once
    assert len(tg_fake.messages_to(people[0])) == 1


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_attachments_are_sent_as_documents(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
    tg_free_port: int,
    mode: str,
) -> None:
    """Polling sends over PTB's httpx, the webhook over aiohttp (multipart both)."""
    webhook = {
        "telegram_webhook_url": f"http://127.0.0.1:{tg_free_port}/tg/hook",
        "telegram_webhook_secret": "s3cret-token",
        "telegram_webhook_listen": f"127.0.0.1:{tg_free_port}",
    }
    await tg_run(tg_standin, tg_settings(**(webhook if mode == "webhook" else {})))
    tg_fake.inject_command(ADA, "file")
    assert (await tg_fake.next_message(ADA)).text == "file"
    doc = await tg_fake.next_message(ADA)
    assert doc.method == "senddocument"
    assert doc.document == ("agreement.txt", b"agreed")
    (transport,) = tg_standin.transports
    assert isinstance(transport, TelegramTransport)
    request = transport._bot.request
    assert isinstance(request, AiohttpRequest if mode == "webhook" else HTTPXRequest)


async def test_a_webhook_removal_that_failed_beside_get_me_is_sent_again(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
) -> None:
    """``deleteWebhook`` goes out together with ``getMe`` (one round trip
    before ready); when it fails (the Bot API not answering yet, a gateway
    error), it is sent once more before polling, never skipped."""
    tg_fake.fail_next("deleteWebhook", status=502, description="Bad Gateway")
    await tg_run(tg_standin, tg_settings())
    methods = [c.method for c in tg_fake.calls if c.method != "setmycommands"]
    assert methods.count("deletewebhook") == 2
    assert methods.index("getupdates") > max(
        i for i, m in enumerate(methods) if m in ("getme", "deletewebhook")
    )


async def test_command_menus_per_language_from_the_registry(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
) -> None:
    await tg_run(tg_standin, tg_settings())
    await tg_fake.wait_for_call("setmycommands", count=6)  # set right after ready
    private = {lang: tg_fake.commands[("all_private_chats", lang)] for lang in ("", "sv", "en")}
    assert private["sv"] == [
        {"command": "start", "description": "Börja här"},
        {"command": "help", "description": "Hjälp"},
    ]
    assert [c["description"] for c in private["en"]] == ["Start here", "Help"]
    assert private[""] == private["sv"]  # default language is sv
    assert ("all_group_chats", "en") in tg_fake.commands


async def test_webhook_refuses_a_wrong_secret_and_accepts_the_right_one(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
    tg_free_port: int,
) -> None:
    url = f"http://127.0.0.1:{tg_free_port}/tg/hook"
    settings = tg_settings(
        telegram_webhook_url=url,
        telegram_webhook_secret="s3cret-token",
        telegram_webhook_listen=f"127.0.0.1:{tg_free_port}",
    )
    await tg_run(tg_standin, settings)
    assert tg_fake.webhook == {"url": url, "secret_token": "s3cret-token"}
    assert not tg_fake.calls_of("getUpdates")

    forged = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": BO, "type": "private"},
            "from": {"id": BO, "is_bot": False, "first_name": "Eve"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with session.post(url, json=forged, headers=headers) as resp:
                assert resp.status == 403

    tg_fake.inject_command(ADA, "start", "code1")  # the fake POSTs with the real secret
    sent = await tg_fake.next_message(ADA)
    assert sent.text == "start|code1"
    assert tg_fake.webhook_statuses == [200]
    assert [type(e).__name__ for e in tg_standin.events] == ["CommandIn"]  # forged never arrived


async def test_a_429_is_waited_out_and_delivered_exactly_once(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
) -> None:
    await tg_run(tg_standin, tg_settings())
    tg_fake.fail_next("sendMessage", times=1, retry_after=1)
    started = time.monotonic()
    tg_fake.inject_command(ADA, "start")
    sent = await tg_fake.next_message(ADA, within=8)
    assert sent.text == "start|"
    assert time.monotonic() - started >= 1.0  # really waited
    assert len(tg_fake.calls_of("sendMessage")) == 2  # refused once, then sent
    await asyncio.sleep(0.2)
    assert [s.text for s in tg_fake.messages_to(ADA)] == ["start|"]


async def test_a_blocked_user_on_a_direct_reply_is_marked_unreachable(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
) -> None:
    await tg_run(tg_standin, tg_settings())
    tg_fake.fail_next("sendMessage", status=403)
    tg_fake.inject_command(ADA, "start")
    await tg_fake.wait_for_call("sendMessage")
    for _ in range(50):
        if tg_standin.unreachable:
            break
        await asyncio.sleep(0.02)
    assert tg_standin.unreachable == [("telegram", str(ADA))]
    assert tg_fake.messages_to(ADA) == []


async def test_outbox_to_a_blocked_partner_gives_a_permanent_error(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
) -> None:
    await tg_run(tg_standin, tg_settings())
    tg_fake.inject_command(BO, "help")  # Bo is known to the fake, then blocks the bot
    await tg_fake.next_message(BO)
    tg_fake.block(BO)
    tg_fake.inject_command(ADA, "tell", str(BO))
    assert (await tg_fake.next_message(ADA)).text == "told"
    for _ in range(50):
        if tg_standin.delivery_errors:
            break
        await asyncio.sleep(0.02)
    [error] = tg_standin.delivery_errors
    assert isinstance(error, DeliveryError) and error.permanent and error.reason == "blocked"
    assert tg_standin.unreachable == [("telegram", str(BO))]


async def test_transport_maps_errors(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_fast_limiter: Callable[[], object],
) -> None:
    app = build_application(tg_standin, tg_settings(), rate_limiter=tg_fast_limiter())  # type: ignore[arg-type]
    transport = tg_standin.transports[0]
    assert isinstance(transport, TelegramTransport)
    dm = Address("telegram", str(ADA))
    async with app:
        with pytest.raises(DeliveryError) as never_started:  # Ada never wrote to the bot
            await transport.send(Outgoing(dm, Reply("hi")))
        assert never_started.value.permanent

        tg_fake.inject_message(ADA, "hello")  # now the chat exists
        await transport.send(Outgoing(dm, Reply("hi")))

        with pytest.raises(DeliveryError) as gone:
            await transport.send(Outgoing(Address("telegram", "-100555", kind="group"), Reply("x")))
        assert (gone.value.permanent, gone.value.reason) == (True, "chat_not_found")

        tg_fake.fail_next("sendMessage", status=500)
        with pytest.raises(DeliveryError) as transient:
            await transport.send(Outgoing(dm, Reply("hi")))
        assert not transient.value.permanent

        # An edit of a message that is gone falls back to a new message.
        new_id = await transport.send_reply(
            Outgoing(dm, Reply("edited", replace=True)), edit_message_id=9999
        )
        assert tg_fake.messages_to(ADA)[-1].method == "sendmessage"
        assert tg_fake.messages_to(ADA)[-1].message_id == new_id

        # Long texts are split; the keyboard rides on the last part.
        long = Reply("word " * 1500, choices=(Choice("k:1", "OK"),))
        await transport.send(Outgoing(dm, long))
        parts = tg_fake.messages_to(ADA)[-2:]
        assert all(len(p.text or "") <= 4096 for p in parts)
        assert [bool(p.buttons) for p in parts] == [False, True]

        only_file = Reply(
            "",
            choices=(Choice("k:2", "Got it"),),
            attachments=(Attachment("m.ics", b"BEGIN:VCALENDAR", "text/calendar"),),
        )
        await transport.send(Outgoing(dm, only_file))
        last = tg_fake.messages_to(ADA)[-1]
        assert last.document == ("m.ics", b"BEGIN:VCALENDAR") and last.buttons == [
            [("Got it", "k:2")]
        ]


async def test_group_commands_are_answered_in_the_group_and_private_ones_in_dm(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
) -> None:
    group = -100500
    await tg_run(tg_standin, tg_settings())
    tg_fake.inject_message(ADA, "hi")  # Ada has a private chat with the bot
    assert (await tg_fake.next_message(ADA)).text == "echo"

    tg_fake.inject_command(ADA, "start@mentor_test_bot", chat_id=group)
    in_group = await tg_fake.next_message(group)
    assert in_group.text == "start|" and in_group.buttons
    tg_fake.inject_message(ADA, "just chatting", chat_id=group)  # not for the bot
    tg_fake.inject_command(ADA, "secret", chat_id=group)
    assert (await tg_fake.next_message(ADA)).text == "psst"
    assert [s.text for s in tg_fake.messages_to(group)] == ["start|"]
    kinds = [(type(e).__name__, e.address.kind) for e in tg_standin.events]  # type: ignore[attr-defined]
    assert kinds == [("TextIn", "dm"), ("CommandIn", "group"), ("CommandIn", "group")]


async def test_per_chat_limit_spaces_one_chat_but_not_others() -> None:
    from adapters.telegram.ratelimit import ChatRateLimiter

    limiter = ChatRateLimiter(
        overall_max_rate=1000, group_max_rate=1000, chat_max_rate=1, chat_time_period=0.3
    )
    stamps: dict[str, list[float]] = {"a": [], "b": []}
    loop = asyncio.get_running_loop()

    async def send(name: str) -> bool:
        stamps[name].append(loop.time())
        return True

    async def request(name: str, chat_id: int) -> None:
        await limiter.process_request(send, (name,), {}, "sendMessage", {"chat_id": chat_id}, None)

    start = loop.time()
    await asyncio.wait_for(
        asyncio.gather(request("a", 1), request("a", 1), request("b", 2)), timeout=3
    )
    assert stamps["b"][0] - start < 0.1
    assert stamps["a"][1] - stamps["a"][0] >= 0.25


async def test_a_replacing_reply_with_a_file_takes_the_keyboard_off_and_sends_the_file(
    tg_fake: FakeTelegram,
    tg_standin: TgStandInCore,
    tg_settings: Callable[..., Settings],
    tg_run: Run,
) -> None:
    """Issue 20: "Bokat!" with the .ics replaces the proposal; a message with
    a file cannot be an edit, so it used to arrive as a new message while the
    proposal kept "Det passar / Föreslå en annan tid"."""
    from bot.core.types import ChoiceIn

    original = tg_standin.handle

    async def handle(event: object) -> list[object]:
        if isinstance(event, ChoiceIn):
            tg_standin.events.append(event)
            doc = Attachment("mentorsmote.ics", b"BEGIN:VCALENDAR", "text/calendar")
            return [Outgoing(event.address, Reply("Bokat!", replace=True, attachments=(doc,)))]
        return await original(event)

    tg_standin.handle = handle  # type: ignore[method-assign]
    await tg_run(tg_standin, tg_settings())
    tg_fake.inject_command(ADA, "start")
    first = await tg_fake.next_message(ADA)
    assert first.buttons
    tg_fake.inject_callback(ADA, first.button("yes"), message_id=first.message_id)
    cleared = await tg_fake.next_message(ADA)
    assert (cleared.method, cleared.message_id) == ("editmessagereplymarkup", first.message_id)
    assert cleared.buttons == []
    assert (await tg_fake.next_message(ADA)).text == "Bokat!"
    doc = await tg_fake.next_message(ADA)
    assert doc.document == ("mentorsmote.ics", b"BEGIN:VCALENDAR")
    assert not tg_fake._messages[(ADA, first.message_id)].get("reply_markup")


async def test_both_http_clients_share_one_tls_context_and_keep_their_limits(
    tg_standin: TgStandInCore, tg_settings: Callable[..., Settings]
) -> None:
    """One certificate store read at start, not one per client; the requests'
    client keeps its 64 connections and 15 s timeouts, getUpdates PTB's own."""
    app = build_application(tg_standin, tg_settings())
    updates, requests = app.bot._request  # PTB's order: getUpdates, then the rest
    shared = requests._client_kwargs["verify"]
    assert updates._client_kwargs["verify"] is shared
    assert shared.verify_mode.name == "CERT_REQUIRED" and shared.check_hostname
    assert requests._client_kwargs["limits"].max_connections == 64
    assert requests._client_kwargs["timeout"] == httpx.Timeout(15.0)
    assert updates._client_kwargs["limits"].max_connections == 1
