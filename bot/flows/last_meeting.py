"""A guide for the last meeting, a few weeks before the programme ends (issue 19, part 6).

The guide's advice on endings: round off on purpose.  Three weeks before the
end (per programme ``settings["closing_guide_days"]``) every member of an
active pair or circle gets a short plan for a closing conversation: look back
at the goals from the agreement, say what each has learnt (the mentor too),
and decide how to keep in touch -- or not, with no pressure either way.  It
names their next meeting as the natural one for it, or says how to book one.

One job per programme, planned like the programme's close
(:mod:`bot.flows.closing`): when a group completes and whenever ``program
update`` moves the end.  The celebration at the end itself is
:mod:`bot.flows.celebration`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core.context import Work
from bot.core.types import Reply
from bot.flows import attention
from bot.flows.agreement_view import current_agreement
from bot.flows.meeting_basics import read_back_single
from bot.flows.registry import Flows
from bot.organiser.programmes import SEND_AT
from bot.store.db import to_db
from bot.store.groups import seats_with_people
from bot.store.jobs import cancel_pending, schedule
from bot.store.models import Group, Job, Meeting, Member, Person, Programme
from bot.wording import join_names, prose_date

JOB = "last_meeting_guide"
DEFAULT_DAYS = 21
#: groups that still meet: the ones the guide is for
MEETING = ("active", "paused")


def register(flows: Flows) -> None:
    flows.on_job(JOB, guide_job)
    flows.programme_dates.append(replan)
    flows.group_complete.append(ensure_planned)


def guide_days(programme: Programme) -> int:
    value = (programme.settings or {}).get("closing_guide_days", DEFAULT_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if 1 <= days <= 90 else DEFAULT_DAYS


async def plan_guide(work: Work, programme: Programme) -> None:
    """One pending guide per programme, at the current end (moving the end moves it)."""
    await cancel_pending(work.session, key_prefix=f"lastmtg:{programme.id}:")
    when = datetime.combine(programme.end_date - timedelta(days=guide_days(programme)), SEND_AT)
    if when <= work.now:
        return  # too late for a guide: the programme ends within the next weeks
    await schedule(
        work.session,
        JOB,
        when,
        key=f"lastmtg:{programme.id}:{programme.end_date.isoformat()}",
        payload={"programme_id": programme.id, "end": programme.end_date.isoformat()},
    )


async def replan(work: Work, programme: Programme) -> None:
    await plan_guide(work, programme)


async def ensure_planned(work: Work, group: Group) -> None:
    programme = await work.session.get(Programme, group.programme_id)
    if programme is not None:
        found = await work.session.scalar(
            select(Job.id).where(
                Job.key == f"lastmtg:{programme.id}:{programme.end_date.isoformat()}"
            )
        )
        if found is None:
            await plan_guide(work, programme)


async def guide_job(work: Work, job: Job) -> None:
    programme = await work.session.get(Programme, int(job.payload.get("programme_id", 0)))
    if programme is None or job.payload.get("end") != programme.end_date.isoformat():
        return  # the end moved; the re-planned job sends the guide
    groups = await work.session.scalars(
        select(Group)
        .where(Group.programme_id == programme.id, Group.status.in_(MEETING))
        .order_by(Group.id)
    )
    for group in list(groups):
        if group.completed_at is None or not await attention.may_send(work, group):
            continue
        await send_guide(work, programme, group)


async def send_guide(work: Work, programme: Programme, group: Group) -> None:
    members = await seats_with_people(work.session, group.id)
    goals = await _goals(work, group, members)
    meeting = await work.session.scalar(
        select(Meeting)
        .where(
            Meeting.group_id == group.id,
            Meeting.status == "planned",
            Meeting.starts_at >= to_db(work.now),
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )
    for seat, person in members:
        lang = person.language
        parts = [
            work.t_for(
                lang,
                "last_meeting.guide.intro",
                programme=programme.name,
                end=prose_date(lang, programme.end_date),
            ),
            _goals_part(work, lang, goals),
            work.t_for(lang, "last_meeting.guide.learnt"),
            work.t_for(lang, "last_meeting.guide.keep_in_touch"),
        ]
        mentees = join_names(lang, [s.name for s, _ in members if s.role == "mentee"])
        role_tip = f"last_meeting.guide.{seat.role}_{group.kind}"
        parts.append(work.t_for(lang, role_tip, names=mentees))
        if meeting is not None and meeting.starts_at.date() <= programme.end_date:
            when = read_back_single(work, meeting, person)
            parts.append(work.t_for(lang, "last_meeting.guide.next", when=when))
        else:
            parts.append(work.t_for(lang, f"last_meeting.guide.none_booked_{group.kind}"))
        await work.tell(person.id, Reply("\n\n".join(parts)), key=f"lastmtg:{group.id}:{seat.id}")


async def _goals(
    work: Work, group: Group, members: list[tuple[Member, Person]]
) -> list[tuple[str, str]]:
    """(goal, whose) from the group's current agreement, mentees' first."""
    agreement = await current_agreement(work.session, group.id)
    chosen = agreement.items.get("goals", {}) if agreement is not None else {}
    found: list[tuple[str, str]] = []
    for seat, _person in sorted(members, key=lambda m: (m[0].role != "mentee", m[0].id)):
        found += [(str(goal), seat.name) for goal in chosen.get(str(seat.id), [])]
    return found


def _goals_part(work: Work, lang: str, goals: list[tuple[str, str]]) -> str:
    if not goals:
        return work.t_for(lang, "last_meeting.guide.goals_none")
    lines = [work.t_for(lang, "last_meeting.guide.goals_head")]
    lines += [work.t_for(lang, "last_meeting.guide.goal", goal=g, name=n) for g, n in goals]
    return "\n".join(lines)
