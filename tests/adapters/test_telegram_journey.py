"""A mentor and a mentee join by deep link and finish onboarding on Telegram.

Runs the whole path: real core, real PTB Application, the fake Bot API;
buttons pressed edit the message they sit on, and the partner is told
through the outbox and the Telegram transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from tests.fakes.telegram_api import FakeTelegram, Sent

if TYPE_CHECKING:
    from tests.adapters.conftest import TgRunning

Run = Callable[[object, Settings], Awaitable["TgRunning"]]
MENTOR, MENTEE = 501, 502


async def make_pair(core: Any) -> tuple[str, str]:
    """Programme and pair set up as an organiser would (the CLI does the same)."""
    from bot.organiser.programmes import create_group, create_programme

    now = core.clock.now()
    async with core.db.transaction() as session:
        programme = await create_programme(
            session, now, name="STEM UP", start=date(2026, 12, 1), end=date(2027, 6, 1)
        )
        _, invites = await create_group(session, programme, "pair", "Maria", ["Ada"], now, 30)
    codes = {invite.role: invite.code for invite in invites}
    return codes["mentor"], codes["mentee"]


def data_ending(sent: Sent, suffix: str) -> str:
    """Find a button by what its choice id does, not by its (content) label."""
    for row in sent.buttons:
        for _, data in row:
            if data.endswith(suffix):
                return data
    raise AssertionError(f"no button ending {suffix!r} in {sent.buttons}")


async def onboard(fake: FakeTelegram, user: int, name: str, code: str) -> Sent:
    """Join by deep link and press through language, time zone, role, privacy."""
    fake.inject_command(user, "start", code, first_name=name, language_code=None)
    question = await fake.next_message(user)
    assert name in (question.text or "")
    for suffix in (":lang:sv", ":tz:ok", ":role:ok", ":privacy:yes"):
        fake.inject_callback(user, data_ending(question, suffix), message_id=question.message_id)
        answer = await fake.next_message(user)
        if suffix != ":privacy:yes":
            # Each step replaces the question it answers: one message, edited.
            assert answer.is_edit and answer.message_id == question.message_id
        question = answer
    return question


async def test_mentor_and_mentee_join_by_deep_link_and_complete_onboarding(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    mentor_code, mentee_code = await make_pair(tg_core)
    await tg_run(tg_core, tg_settings())

    waiting = await onboard(tg_fake, MENTOR, "Maria", mentor_code)
    assert not waiting.is_edit and "Ada" in (waiting.text or "")  # waits for the mentee
    offer = await tg_fake.next_message(MENTOR)  # then the guide's tour, offered to a mentor
    assert data_ending(offer, "gde:1") and data_ending(offer, "gde:later")

    done = await onboard(tg_fake, MENTEE, "Ada", mentee_code)
    assert "Maria" in (done.text or "")
    told = await tg_fake.next_message(MENTOR)  # through the outbox and the transport
    if told.method == "editmessagereplymarkup":  # her answered consent lost its buttons
        told = await tg_fake.next_message(MENTOR)
    assert not told.is_edit and "Ada" in (told.text or "")

    # A used code cannot be claimed by someone else.
    tg_fake.inject_command(503, "start", mentee_code, first_name="Eve", language_code=None)
    refused = await tg_fake.next_message(503)
    assert not refused.buttons or all(":lang:" not in d for r in refused.buttons for _, d in r)


async def test_a_partner_who_blocked_the_bot_is_marked_unreachable_by_the_outbox(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    from sqlalchemy import select

    from bot.store.models import Identity, OutboxMessage, Person

    mentor_code, mentee_code = await make_pair(tg_core)
    await tg_run(tg_core, tg_settings())
    await onboard(tg_fake, MENTOR, "Maria", mentor_code)
    tg_fake.block(MENTOR)
    await onboard(tg_fake, MENTEE, "Ada", mentee_code)

    async def mentor_and_errors() -> tuple[Any, list[str | None]]:
        async with tg_core.db.transaction() as session:
            mentor = await session.scalar(
                select(Person)
                .join(Identity, Identity.person_id == Person.id)
                .where(Identity.platform == "telegram", Identity.user_id == str(MENTOR))
            )
            return mentor, list(await session.scalars(select(OutboxMessage.error)))

    for _ in range(100):  # the outbox runs right after the mentee's direct replies
        mentor, failed = await mentor_and_errors()
        if mentor is not None and mentor.unreachable_at is not None:
            break
        await asyncio.sleep(0.02)
    assert mentor is not None and mentor.unreachable_at is not None
    assert "blocked" in failed  # the transport's reason, recorded once, not retried
    calls = tg_fake.calls_of("sendMessage") + tg_fake.calls_of("editMessageReplyMarkup")
    sends_to_mentor = [c for c in calls if c.params["chat_id"] == MENTOR]
    # greeting, "waiting", the offer of the guide's tour (issue 19), then a single
    # refused try (the edit that removes her consent buttons, issue 20, is the
    # first message the outbox has for her)
    assert len(sends_to_mentor) == 4
    assert sends_to_mentor[-1].method == "editmessagereplymarkup"
