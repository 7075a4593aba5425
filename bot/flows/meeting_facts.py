"""What the coaching nudge and the mentee's preparation both need to know about a
coming meeting: who meets, which meeting of the pair it is, the programme phase,
whether it is online, the open agenda and the mentee's support needs.

Read fresh from the database for every job; nothing is cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.content import Content, _Item
from bot.core.context import Work
from bot.flows.agreement_view import current_agreement
from bot.flows.coaching_choice import phase_of
from bot.flows.meeting_basics import paused, people_of, read_back_single
from bot.store.db import from_db
from bot.store.groups import group_and_programme
from bot.store.jobs import schedule
from bot.store.models import AgendaItem, Group, Meeting, Member, Person, Programme
from bot.store.session import DbSession

ONLINE_MODES = ("online", "hybrid")
#: online and hybrid pairs get bond-building prompts at this many first meetings
BONDING_MEETINGS = 2
#: meetings that count as having taken place when numbering a pair's meetings
MET = ("held", "awaiting")


@dataclass
class MeetingFacts:
    meeting: Meeting
    group: Group
    programme: Programme
    members: list[tuple[Member, Person]]
    #: 1 for the pair's first meeting, 2 for the second, ...
    ordinal: int
    phase: str

    @property
    def online(self) -> bool:
        return self.meeting.mode in ONLINE_MODES

    @property
    def circle(self) -> bool:
        return self.group.kind == "circle"

    @property
    def mentors(self) -> list[tuple[Member, Person]]:
        return [(m, p) for m, p in self.members if m.role == "mentor"]

    @property
    def mentees(self) -> list[tuple[Member, Person]]:
        return [(m, p) for m, p in self.members if m.role == "mentee"]

    def names_except(self, person_id: int) -> str:
        return ", ".join(m.name for m, p in self.members if p.id != person_id)

    def icebreaker(self, content: Content) -> _Item | None:
        """The pair's "find what you have in common" prompt, at its first meeting."""
        bank = content.prompts.icebreakers
        if self.ordinal != 1 or not bank:
            return None
        return bank[self.group.id % len(bank)]

    def bonding(self, content: Content) -> _Item | None:
        """A bond-building prompt for the first meetings of an online or hybrid pair."""
        bank = content.prompts.online_bonding
        if not self.online or self.ordinal > BONDING_MEETINGS or not bank:
            return None
        return bank[(self.group.id * BONDING_MEETINGS + self.ordinal - 1) % len(bank)]


async def facts_of(work: Work, meeting_id: int) -> MeetingFacts | None:
    """The facts of a meeting that is still going to happen, or None."""
    meeting = await work.session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != "planned":
        return None
    group, programme = await group_and_programme(work.session, meeting.group_id)
    if group.status not in ("active", "paused") or paused(group, work.now):
        return None
    return await facts_for(work, meeting, group, programme)


async def facts_for(
    work: Work, meeting: Meeting, group: Group, programme: Programme
) -> MeetingFacts:
    before = await work.session.scalar(
        select(func.count(Meeting.id)).where(
            Meeting.group_id == group.id,
            Meeting.status.in_(MET),
            Meeting.starts_at < meeting.starts_at,
        )
    )
    day = from_db(meeting.starts_at).astimezone(ZoneInfo(meeting.tz)).date()
    return MeetingFacts(
        meeting,
        group,
        programme,
        await people_of(work, group.id),
        int(before or 0) + 1,
        phase_of(day, programme.start_date, programme.end_date),
    )


async def open_agenda(session: DbSession, group_id: int) -> list[AgendaItem]:
    return list(
        (
            await session.scalars(
                select(AgendaItem)
                .where(AgendaItem.group_id == group_id, AgendaItem.done_at.is_(None))
                .order_by(AgendaItem.created_at, AgendaItem.id)
            )
        ).all()
    )


async def support_needs(session: DbSession, group_id: int, mentees: list[Member]) -> set[str]:
    """The support areas the group's mentees chose in their agreement."""
    agreement = await current_agreement(session, group_id)
    if agreement is None:
        return set()
    chosen = agreement.items.get("support", {}) if isinstance(agreement.items, dict) else {}
    needs: set[str] = set()
    for seat in mentees:
        needs.update(chosen.get(str(seat.id), []))
    return needs


async def schedule_before(
    work: Work, meeting: Meeting, kind: str, hours: float, group_id: int
) -> None:
    """Plan ``kind`` for ``hours`` before the meeting, or at once if that has passed.

    The key starts with ``mtg:<id>:`` so that moving or cancelling the meeting
    drops the job together with the meeting's own reminders.
    """
    start = from_db(meeting.starts_at)
    if start <= work.now:
        return
    due = max(start - timedelta(hours=hours), work.now)
    await schedule(
        work.session,
        kind,
        due,
        key=f"mtg:{meeting.id}:{kind}",
        group_id=group_id,
        payload={"meeting_id": meeting.id},
    )


def hours_setting(programme: Programme, name: str, default: float) -> float:
    value = (programme.settings or {}).get(name, default)
    try:
        hours = float(value)
    except (TypeError, ValueError):
        return default
    return hours if 0 <= hours <= 24 * 14 else default


def occurrence(work: Work, meeting: Meeting, person: Person) -> str:
    """This one meeting in the person's zone and words, even when it is part of a series."""
    return work.t_for(
        person.language,
        "meetings.details",
        when=read_back_single(work, meeting, person),
        minutes=meeting.minutes,
        mode=work.t_for(person.language, f"agreement.mode.{meeting.mode}"),
        zone=person.timezone,
    )
