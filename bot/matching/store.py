"""Reading the matching pool from the database: who can be matched, and as what.

An application seat (a mentor or mentee seat without a group) becomes a
:class:`~bot.matching.profile.Profile` when its intake is complete and its
person has joined.  Mentees already in a live pair or circle of the programme
are left out; mentors count the mentees they already have against their
capacity.  Everybody else is listed with why they cannot be matched yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot.matching.models import Intake, MatchRule
from bot.matching.profile import Profile, fold, utc_offset
from bot.store.models import Group, Member, Person, Programme
from bot.store.session import DbSession

#: a group in these states still holds its members
LIVE_GROUP = ("invited", "active", "paused", "incomplete")
MATCH_ROLES = ("mentor", "mentee")


@dataclass
class Pool:
    programme: Programme
    mentors: list[Profile] = field(default_factory=list)
    mentees: list[Profile] = field(default_factory=list)
    #: (name, role, reason): not_joined | intake_incomplete
    waiting: list[tuple[str, str, str]] = field(default_factory=list)
    seats: dict[int, Member] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)  # by seat id
    pins: list[tuple[int, int]] = field(default_factory=list)
    forbidden: list[tuple[int, int]] = field(default_factory=list)

    def by_name(self, name: str, role: str) -> list[Profile]:
        wanted = fold(name)
        people = self.mentors if role == "mentor" else self.mentees
        return [p for p in people if p.folded_name == wanted]

    def profile(self, key: int) -> Profile | None:
        for p in (*self.mentors, *self.mentees):
            if p.key == key:
                return p
        return None


def profile_from(
    seat: Member, answers: dict[str, Any], reference: datetime, *, held: int = 0
) -> Profile:
    """A seat's intake answers as a profile (``held``: mentees a mentor already has)."""
    zone = str(answers.get("timezone") or "Europe/Stockholm")
    return Profile(
        key=seat.id,
        name=seat.name,
        role=seat.role,
        languages=frozenset(answers.get("languages") or ()),
        utc_offset=utc_offset(zone, reference) or 0.0,
        timezone=zone,
        mode=str(answers.get("mode") or "online"),
        city=str(answers.get("city") or ""),
        field=str(answers.get("field") or ""),
        stage=str(answers.get("stage") or ""),
        support=frozenset(answers.get("support") or ()),
        capacity=max(int(answers.get("capacity") or 1) - held, 0) if seat.role == "mentor" else 1,
        avoid=frozenset(fold(n) for n in answers.get("avoid") or () if n.strip()),
        prefers_group=str(answers.get("prefers_group") or "either"),
        hopes=str(answers.get("hopes") or ""),
    )


async def application_seats(session: DbSession, programme_id: int) -> list[Member]:
    return list(
        (
            await session.scalars(
                select(Member)
                .where(
                    Member.programme_id == programme_id,
                    Member.group_id.is_(None),
                    Member.role.in_(MATCH_ROLES),
                    Member.left_at.is_(None),
                )
                .order_by(Member.id)
            )
        ).all()
    )


async def held(session: DbSession, programme_id: int, role: str) -> dict[int, int]:
    """person id -> mentees they mentor (``role`` mentor) or mentorships they are in
    (``role`` mentee), in live groups of the programme; one query for everyone."""
    live = (
        Member.programme_id == programme_id,
        Member.left_at.is_(None),
        Member.person_id.is_not(None),
        Group.status.in_(LIVE_GROUP),
    )
    if role == "mentee":
        query = (
            select(Member.person_id, func.count())
            .join(Group, Group.id == Member.group_id)
            .where(Member.role == "mentee", *live)
            .group_by(Member.person_id)
        )
    else:
        mentee = aliased(Member)
        query = (
            select(Member.person_id, func.count(mentee.id))
            .join(Group, Group.id == Member.group_id)
            .join(mentee, mentee.group_id == Member.group_id)
            .where(
                Member.role == "mentor", mentee.role == "mentee", mentee.left_at.is_(None), *live
            )
            .group_by(Member.person_id)
        )
    rows: list[Any] = list((await session.execute(query)).all())
    return {int(row[0]): int(row[1]) for row in rows}


async def load_pool(session: DbSession, programme: Programme) -> Pool:
    pool = Pool(programme)
    reference = datetime.combine(programme.start_date, time(12))
    seats = await application_seats(session, programme.id)
    intakes = {
        i.member_id: i
        for i in await session.scalars(
            select(Intake).where(Intake.member_id.in_([s.id for s in seats]))
        )
    }
    person_ids = [s.person_id for s in seats if s.person_id is not None]
    people = {
        p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(person_ids)))
    }
    holding = {role: await held(session, programme.id, role) for role in MATCH_ROLES}
    for seat in seats:
        intake = intakes.get(seat.id)
        person = people.get(seat.person_id) if seat.person_id else None
        if person is None:
            pool.waiting.append((seat.name, seat.role, "not_joined"))
            continue
        if intake is None or intake.status == "draft":
            pool.waiting.append((seat.name, seat.role, "intake_incomplete"))
            continue
        has = holding[seat.role].get(person.id, 0)
        if seat.role == "mentee" and has:
            continue  # already in a mentorship of this programme
        profile = profile_from(seat, intake.answers, reference, held=has)
        if seat.role == "mentor":
            if profile.capacity <= 0:
                continue
            pool.mentors.append(profile)
        else:
            pool.mentees.append(profile)
        pool.seats[seat.id] = seat
        pool.people[seat.id] = person
    for rule in await session.scalars(
        select(MatchRule).where(MatchRule.programme_id == programme.id).order_by(MatchRule.id)
    ):
        pair = (rule.mentor_member_id, rule.mentee_member_id)
        (pool.pins if rule.rule == "pin" else pool.forbidden).append(pair)
    return pool
