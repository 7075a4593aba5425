"""Steps for the "six months in" scenarios (issue 23): rhythms, quiet pairs,
digests, never-booked pairs and waiting partners, on the fake clock.

Built on :mod:`tests.feedback_steps`: pairs join through the real onboarding,
walk the real agreement, book by writing a time and answer with the buttons
they received.  Every delivery is stamped with the simulated time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.types import Reply
from bot.store.models import Job, RiskFlag
from tests.feedback_steps import Pair, World, answer_round, at, latest, met, pulse
from tests.harness import Harness, Stamped
from tests.harness import Person as Member

STHLM = ZoneInfo("Europe/Stockholm")

#: buttons of questions the pair owes an answer: "did you meet?", feedback and
#: evaluation questions (a coaching question's verdict buttons and the
#: mentor's reflection prompt are offers, not questions that need an answer)
QUESTION = re.compile(r"^(mtg:\d+:met:|fb:)")


def local(day: str, hour: int = 15, minute: int = 0) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}").replace(tzinfo=STHLM)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def is_question(reply: Reply) -> bool:
    return any(QUESTION.match(c.id) for c in reply.choices)


def is_resume(reply: Reply) -> bool:
    return any(c.id.startswith("quiet:") for c in reply.choices)


def after(world: World, who: Member, since: datetime) -> list[Stamped]:
    return [s for s in world.to(who) if s.at > since]


async def flags_of(pair: Pair, reason: str) -> list[RiskFlag]:
    return [f for f in await pair.flags() if f.reason == reason]


def organiser_alerts(world: World, group: str) -> list[Stamped]:
    return [
        s
        for s in world.to(world.organiser)
        if s.reply.text.startswith("⚠️") and s.reply.text.startswith(f"⚠️ {group} ")
    ]


async def hold_meeting(pair: Pair, meeting_id: int, *, rating: int = 5) -> None:
    """Both say the meeting took place and answer the pulse."""
    async with pair.h.core.db.sessions() as s:
        from bot.store.models import Meeting

        meeting = await s.get(Meeting, meeting_id)
        assert meeting is not None
    await met(pair.mentee, meeting, "yes")
    await met(pair.mentor, meeting, "yes")
    await pulse(pair.mentor, pair, meeting, rating)
    await pulse(pair.mentee, pair, meeting, rating)


async def answer_open_checkins(pair: Pair) -> None:
    """Answer any check-in round a member has waiting (a healthy pair does)."""
    for who in pair.people:
        for reply in reversed(who.inbox):
            ids = [c.id for c in reply.choices if c.id.startswith(f"fb:{pair.group_id}:c:")]
            if ids:
                await answer_round(who, ":".join(ids[0].split(":")[:4]))
                break


async def pending_jobs(h: Harness, group_id: int, kind: str) -> list[Job]:
    async with h.core.db.sessions() as s:
        rows = await s.scalars(
            select(Job).where(Job.group_id == group_id, Job.kind == kind, Job.done_at.is_(None))
        )
        return list(rows.all())


def utc_day(when: datetime) -> str:
    return when.astimezone(UTC).date().isoformat()


__all__ = ["answer_round", "at", "latest"]


async def hold_latest(pair: Pair) -> None:
    """The meeting that just ended took place: both say so and answer the pulse."""
    awaiting = [m for m in await pair.meetings() if m.status == "awaiting"]
    assert awaiting, [(m.id, m.status) for m in await pair.meetings()]
    await hold_meeting(pair, awaiting[-1].id)
