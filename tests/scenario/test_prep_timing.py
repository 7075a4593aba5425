"""Issue 20: "After a pair's agreement is complete, a 'Before the meeting'
message arrives unprompted right after booking (a scheduler tick), before the
meeting is near."

The mentee's preparation ("Inför mötet" / "Before the meeting") is planned
when a meeting is booked, for 48 hours before it (``prep_hours``); only a
meeting booked closer than that gets it at once.  These tests book the way the
journey did — right after the agreement was completed, a one-off or a series,
proposed by either member — then let the scheduler tick for minutes, hours
and days, and check that the preparation arrives when the meeting is near and
not a tick after the booking.  A time typed at the very minute it names
(Wednesday 10:00, "onsdag kl 10") no longer books a meeting that starts now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.store.db import from_db
from bot.store.models import Meeting
from tests.conftest import START
from tests.console_harness import Console
from tests.pair_steps import AGREE_AND_BOOK, SETUP

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PREP = "Inför mötet:"
#: everything up to the booking: agreement items 1-5, the rhythm, the compromise
TO_BOOKING = AGREE_AND_BOOK.split("@bea nästa tisdag kl 15")[0]
#: items 6-14, so that the whole agreement is complete before the booking
FINISH = "@anna [Vi är överens]\n@bea [Vi är överens]\n" * 9


async def planned(console: Console) -> Meeting:
    async with console.core.db.sessions() as s:
        found = await s.scalar(select(Meeting).where(Meeting.status == "planned"))
    assert found is not None
    return found


def preps(lines: list[str]) -> list[str]:
    return [line for line in lines if PREP in line]


async def run_in_steps(console: Console, steps: list[str]) -> list[list[str]]:
    return [await console.run(step) for step in steps]


@pytest.mark.parametrize(
    ("typed", "proposer", "accepter"),
    [
        ("nästa tisdag kl 15", "bea", "anna"),  # a week away, the mentee proposes
        ("nästa tisdag kl 15", "anna", "bea"),  # the mentor proposes
        ("den 9 december kl 15", "bea", "anna"),  # two weeks away
        ("varje tisdag kl 15", "bea", "anna"),  # a series
        ("var tredje onsdag kl 10", "anna", "bea"),  # a series typed at its own weekday
    ],
)
async def test_the_preparation_waits_until_the_meeting_is_near(
    console: Console, typed: str, proposer: str, accepter: str
) -> None:
    agreed = await console.run(SETUP + TO_BOOKING + FINISH)
    assert any("Överenskommen 25 november 2026" in line for line in agreed)
    booked = await console.run(f"@{proposer} {typed}\n@{accepter} [Det passar]")
    told = ("→ bea: Bokat!", "→ bea (edit): Bokat!")
    assert any(line.startswith(told) for line in booked), booked
    assert not preps(booked)
    meeting = await planned(console)
    start = from_db(meeting.starts_at)
    assert start - console.core.clock.now() > timedelta(days=5)
    # a scheduler tick right after the booking, then minutes, hours, a day
    for out in await run_in_steps(console, ["wait 1m", "wait 5m", "wait 1h", "wait 1d"]):
        assert not preps(out), out
    # the preparation comes 48 hours before the meeting, and only then
    until = start - timedelta(hours=48) - console.core.clock.now()
    before = await console.run(f"wait {int(until.total_seconds() // 60) - 1}m")
    assert not preps(before), before
    due = await console.run("wait 1m")
    prep = preps(due)
    assert len(prep) == 1 and prep[0].startswith("   Inför mötet"), due
    assert due[1].startswith("→ bea: Snart ses du och Anna:"), due
    assert console.core.clock.now() == start - timedelta(hours=48)


async def test_a_meeting_booked_tomorrow_gets_its_preparation_at_once(console: Console) -> None:
    """Inside the 48 hours the preparation cannot wait: it comes with the next tick."""
    await console.run(SETUP + TO_BOOKING + FINISH)
    await console.run("@bea i morgon kl 15\n@anna [Det passar]")
    out = await console.run("wait 1m")
    assert len(preps(out)) == 1, out


async def test_a_weekday_typed_at_its_own_time_is_next_week_not_now(console: Console) -> None:
    """On a Wednesday at 10:00, "onsdag kl 10" (and "var tredje onsdag kl 10")
    meant a meeting starting that very minute, with no reminders and no
    preparation; it is next Wednesday."""
    assert START.weekday() == 2 and (START.hour, START.minute) == (10, 0)
    await console.run(SETUP + TO_BOOKING + FINISH)
    asked = await console.run("@bea onsdag kl 10")
    assert any("onsdag 2 december kl. 10:00" in line for line in console.to("bea", asked)), asked
    await console.run("@anna [Det passar]")
    meeting = await planned(console)
    assert from_db(meeting.starts_at) == datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM)
    out = await console.run("wait 1h")
    assert not preps(out) and not any("Hur gick det" in line for line in out), out


async def test_today_at_this_very_minute_is_in_the_past(console: Console) -> None:
    await console.run(SETUP + TO_BOOKING + FINISH)
    out = await console.run("@bea i dag kl 10")
    assert console.to("bea", out)[-1].startswith("→ bea: Den tiden har redan varit."), out
    assert not console.to("anna", out), out
    async with console.core.db.sessions() as s:
        assert await s.scalar(select(Meeting.id)) is None
