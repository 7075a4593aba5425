"""What every part of the meetings flow needs: who is in a group, a meeting read back.

A meeting is read back to each member in their own zone and language, with
its calendar file; a recurring one rolls on to its next occurrence and plans
its reminders and its "did you meet?" again."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select

from bot.core.context import Ctx, Work
from bot.core.types import Attachment, Reply
from bot.store.db import from_db, to_db
from bot.store.groups import group_and_programme, memberships, seat_of, seats_with_people
from bot.store.jobs import gathered, schedule_many
from bot.store.models import (
    Group,
    Job,
    Meeting,
    Member,
    Person,
)
from bot.time import formatting as timefmt
from bot.time.calendar import meeting_ics

CONV = "meeting"


DEFAULT_REMINDER_HOURS = (24, 1)


CHECK_ANSWERS = ("yes", "no", "moved", "cancelled")


async def set_dialog_for(
    work: Work, person_id: int, step: str | None, data: dict[str, object]
) -> None:
    """Put a member's meeting dialog at ``step`` (e.g. "type a time")."""
    await work.set_dialog_of(person_id, CONV, step, dict(data))


async def seat_in(ctx: Ctx, group_id: int) -> Member | None:
    return await seat_of(ctx.session, group_id, ctx.person.id)


async def people_of(work: Work, group_id: int) -> list[tuple[Member, Person]]:
    return await seats_with_people(work.session, group_id)


def read_back(work: Work, meeting: Meeting, person: Person) -> str:
    at = timefmt.when(work.content, person.language, from_db(meeting.starts_at), person.timezone)
    if meeting.rrule:
        rule = timefmt.describe_rule(work.content, person.language, meeting.rrule)
        return work.t_for(person.language, "meetings.series", rule=rule, first=at)
    return at


def details(work: Work, meeting: Meeting, person: Person, *, single: bool = False) -> str:
    """Time, zone, length and mode; ``single`` names just this occurrence of a series
    (a reminder is about one meeting, not about when the series started)."""
    return work.t_for(
        person.language,
        "meetings.details",
        when=(read_back_single if single else read_back)(work, meeting, person),
        minutes=meeting.minutes,
        mode=work.t_for(person.language, f"agreement.mode.{meeting.mode}"),
        zone=person.timezone,
    )


def online_link(group: Group | None, meeting: Meeting) -> str | None:
    """The group's video link, for a meeting that is not face to face."""
    if group is None or meeting.mode == "face_to_face":
        return None
    return group.meeting_link


async def ics(
    work: Work, meeting: Meeting, person: Person, *, cancelled: bool = False
) -> Attachment:
    lang = person.language
    group = await work.session.get(Group, meeting.group_id)
    data = meeting_ics(
        meeting,
        summary=work.t_for(lang, "meetings.ics.summary"),
        description=work.t_for(
            lang,
            "meetings.ics.description",
            minutes=meeting.minutes,
            mode=work.t_for(lang, f"agreement.mode.{meeting.mode}"),
        ),
        now=work.now,
        cancelled=cancelled,
        link=online_link(group, meeting),
    )
    return Attachment(work.t_for(lang, "meetings.ics.filename"), data, "text/calendar")


@cache
def _next_meeting(statuses: tuple[str, ...]) -> Select[Meeting]:
    """Built once per set of statuses (SQLAlchemy then reuses its compiled form)."""
    return (
        select(Meeting)
        .where(Meeting.group_id == bindparam("group_id"), Meeting.status.in_(statuses))
        .order_by(Meeting.starts_at)
        .limit(1)
    )


async def next_meeting(
    work: Work, group_id: int, statuses: tuple[str, ...] = ("planned",)
) -> Meeting | None:
    return await work.session.scalar(_next_meeting(statuses), {"group_id": group_id})


async def send(ctx: Work, person: Person, reply: Reply, key: str) -> None:
    """Reply directly when ``person`` is the sender of the event, else via the outbox."""
    if isinstance(ctx, Ctx) and person.id == ctx.person.id and not ctx.in_group:
        ctx.replies.append(ctx.out(reply))
    else:
        await ctx.tell(person.id, reply, key=key)


async def plan_jobs(work: Work, meeting: Meeting, group: Group) -> None:
    _, programme = await group_and_programme(work.session, group.id)
    start = from_db(meeting.starts_at)
    hours = programme.settings.get("reminder_hours", list(DEFAULT_REMINDER_HOURS))
    # the reminders and the check (none of their ids is needed) ...
    planned: list[dict[str, Any]] = [
        {
            "kind": "mtg_remind",
            "due_at": start - timedelta(hours=float(h)),
            "key": f"mtg:{meeting.id}:remind:{h}",
            "group_id": group.id,
            "payload": {"meeting_id": meeting.id, "hours": h},
        }
        for h in hours
        if start - timedelta(hours=float(h)) > work.now
    ]
    planned.append(
        {
            "kind": "mtg_check",
            "due_at": start + timedelta(minutes=meeting.minutes),
            "key": f"mtg:{meeting.id}:check",
            "group_id": group.id,
            "payload": {"meeting_id": meeting.id},
        }
    )
    # the hooks' jobs (nudges, preparation, health's next check) join them:
    # all written in one statement at the end (none of the hooks reads them)
    async with gathered(work.session):
        await schedule_many(work.session, planned)
        for hook in work.flows.meeting_planned if work.flows else []:
            await hook(work, meeting)


async def member_groups(ctx: Ctx) -> list[Group]:
    out = []
    for seat in await memberships(ctx.session, ctx.person.id):
        group = await ctx.session.get(Group, seat.group_id)
        if group is not None and group.status in ("active", "paused"):
            out.append(group)
    return out


async def advance_series(
    work: Work, meeting: Meeting, group: Group, *, plan_it: bool = True
) -> Meeting | None:
    """Create the next occurrence of a recurring meeting (skipping exdates)."""
    if not meeting.rrule:
        return None
    # the date grammars load after ready (bot.cli's warm-up), or here on first use
    from bot.time.parsing import Recurring, occurrences

    rule = Recurring(from_db(meeting.starts_at), meeting.rrule, meeting.tz, True)
    skipped = set(meeting.data.get("exdates", []))
    after = from_db(meeting.starts_at)
    for candidate in occurrences(rule, after=after, count=len(skipped) + 5):
        if candidate.isoformat() not in skipped:
            break
    else:
        return None
    _, programme = await group_and_programme(work.session, group.id)
    if candidate.date() > programme.end_date:
        return None
    successor = Meeting(
        group_id=group.id,
        uid=uuid.uuid4().hex,
        series_uid=meeting.series_uid,
        starts_at=to_db(candidate),
        minutes=meeting.minutes,
        mode=meeting.mode,
        rrule=meeting.rrule,
        tz=meeting.tz,
        status="planned",
        proposed_by=meeting.proposed_by,
        sequence=meeting.sequence,
        data={"exdates": sorted(skipped), "until": meeting.data.get("until")},
        created_at=to_db(work.now),
        updated_at=to_db(work.now),
    )
    work.session.add(successor)
    await work.session.flush()
    if plan_it:
        await plan_jobs(work, successor, group)
    return successor


async def active_meeting(work: Work, job: Job) -> tuple[Meeting, Group] | None:
    meeting = await work.session.get(Meeting, int(job.payload["meeting_id"]))
    if meeting is None or meeting.status != "planned":
        return None
    group = await work.session.get(Group, meeting.group_id)
    if group is None or group.status not in ("active", "paused"):
        return None
    return meeting, group


def paused(group: Group, at: datetime) -> bool:
    return group.status == "paused" and (
        group.paused_until is None or from_db(group.paused_until) > at
    )


def read_back_single(work: Work, meeting: Meeting, person: Person) -> str:
    return timefmt.when(work.content, person.language, from_db(meeting.starts_at), person.timezone)
