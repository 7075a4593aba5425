"""Steps for the goal follow-up and match check scenarios (issue 19).

A circle (mentor Greta, mentees Hanna and Ines) is created the way an organiser
does it and everyone joins through the real onboarding.  The mentees' goals are
written into the agreement straight in the database, as coaching_steps does
with support areas: the agreement walk is not what these scenarios check (the
pair scenarios walk it for real).  A circle meeting that took place is a row
the members then confirm with the real "we met" button: the circle's poll is
the circle scenarios' business.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from bot.flows.agreement_view import current_agreement
from bot.organiser.programmes import create_group, create_programme
from bot.store.db import to_db
from bot.store.models import Agreement, FeedbackAnswer, Meeting, Member
from tests.harness import Harness
from tests.harness import Person as Someone
from tests.scenario.coaching_steps import join


async def set_goals(h: Harness, group_id: int, goals: dict[int, list[str]]) -> None:
    """Write mentees' goals (seat id -> goals) into the group's agreement, and complete it."""
    async with h.core.db.transaction() as s:
        agreement = await current_agreement(s, group_id)
        if agreement is None:
            agreement = Agreement(
                group_id=group_id,
                version=1,
                status="complete",
                items={"support": {}, "goals": {}, "changes": {}},
                created_at=to_db(h.clock.now()),
                completed_at=to_db(h.clock.now()),
            )
            s.add(agreement)
        written = dict(agreement.items.get("goals", {}))
        written.update({str(seat): list(g) for seat, g in goals.items()})
        agreement.items = {**agreement.items, "goals": written}


async def goal_answers(h: Harness) -> list[tuple[int | None, str, str, str | None]]:
    """(seat, round, goal, level) for every answer to "how far have you come?"."""
    async with h.core.db.sessions() as s:
        rows = await s.scalars(
            select(FeedbackAnswer).where(FeedbackAnswer.kind == "goals").order_by(FeedbackAnswer.id)
        )
        return [(r.member_id, r.round, r.question_id, r.choice) for r in rows]


@dataclass
class Circle:
    h: Harness
    greta: Someone
    hanna: Someone
    ines: Someone
    group_id: int
    programme_id: int
    seats: dict[str, int]

    async def book_and_meet(self) -> Meeting:
        """A meeting that started an hour ago; Hanna says it took place."""
        now = self.h.clock.now()
        async with self.h.core.db.transaction() as s:
            uid = uuid.uuid4().hex
            meeting = Meeting(
                group_id=self.group_id,
                uid=uid,
                series_uid=uid,
                starts_at=to_db(now - timedelta(hours=1)),
                minutes=45,
                mode="online",
                tz="Europe/Stockholm",
                status="awaiting",
                sequence=0,
                data={},
                created_at=to_db(now),
                updated_at=to_db(now),
            )
            s.add(meeting)
            await s.flush()
            meeting_id = meeting.id
        await self.hanna.presses(f"mtg:{meeting_id}:met:yes")
        return meeting


async def make_circle(
    h: Harness,
    *,
    lang: str = "sv",
    start: date = date(2026, 12, 1),
    end: date = date(2027, 6, 1),
) -> Circle:
    async with h.core.db.transaction() as s:
        programme = await create_programme(
            s, h.clock.now(), name="STEM Up", slug="circ", start=start, end=end, format="group"
        )
        programme.settings = {"quiet_after_prompts": 1000}
        group, invites = await create_group(
            s, programme, "circle", "Greta", ["Hanna", "Ines"], h.clock.now(), 30
        )
        codes = {i.name.lower(): i.code for i in invites}
        group_id, programme_id = group.id, programme.id
        seats = {
            m.name.lower(): m.id
            for m in await s.scalars(select(Member).where(Member.group_id == group.id))
        }
    people = {name: h.person(name) for name in ("greta", "hanna", "ines")}
    for name, who in people.items():
        await join(who, codes[name], lang)
    return Circle(
        h, people["greta"], people["hanna"], people["ines"], group_id, programme_id, seats
    )
