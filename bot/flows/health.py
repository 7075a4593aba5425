"""Programme health: which pairs and circles need help, judged by their own rhythm.

A group is at risk when
* ``agreement`` – its mentoring agreement is not done N days after it became
  complete (``programme.settings["agreement_due_days"]``, default 14);
* ``no_meeting`` – no meeting was held for twice the interval the pair itself
  agreed, plus a day's grace (an eighth of the interval for rhythms under
  eight days) for the meeting of that very day: a pair meeting every six weeks
  is not late after 35 days;
* ``unbooked`` – the pair agreed its rhythm N days ago
  (``programme.settings["unbooked_days"]``, default 14) and has never booked
  a meeting;
* ``checkins`` – a member left two check-ins in a row unanswered;
* ``ratings`` – a mentee's after-meeting ratings fall (raised by the feedback flow);
* ``unreachable`` – a member cannot be reached (blocked the bot, closed DMs);
* ``match`` – a member said privately after an early meeting that the match
  does not feel right (raised by :mod:`bot.flows.match_check`; nobody is nudged).

Every reason becomes a :class:`RiskFlag`.  The group gets a gentle nudge at
once; if the flag is still open ``alert_after_days`` later (default 7) the
organisers get an alert in chat naming the reason.  For ``no_meeting`` the wait
scales with the rhythm – at most a quarter of the interval – so nudge and
alert both come within 2.5 × the interval of the last meeting at every rhythm,
while monthly and slower rhythms keep their full margin against false alarms.
A group that stopped answering (:mod:`bot.flows.attention`) gets the one-tap
"switched off" notice instead of a nudge, and the alert says the pair is quiet.
A paused group is never flagged or alerted, and a pause restarts the meeting
window: pauses count for nothing.

Each group has at most one pending ``health`` job, due at the group's next
deadline, so a scheduler tick costs what is due, not what exists.  Events of
the group (joined, meeting planned or held) re-evaluate it and move the job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.core.commands import CommandSpec
from bot.core.context import Ctx, Work
from bot.core.types import Reply
from bot.flows import attention
from bot.flows.feedback_answers import answered
from bot.flows.health_facts import (
    agreement_days,
    agreement_deadline,
    last_held,
    last_sign_of_life,
    meeting_deadline,
    note_raised,
    note_resolved,
    one_pass,
    open_flags,
    unbooked_deadline,
)
from bot.flows.health_organisers import alert, broadcast_command, in_words, report_command
from bot.flows.registry import Flows
from bot.store.db import from_db, to_db
from bot.store.groups import seats_with_people
from bot.store.jobs import drop_gathered, schedule
from bot.store.models import Group, Job, Meeting, Member, Person, Programme, RiskFlag
from bot.wording import join_names

REASONS = ("agreement", "no_meeting", "unbooked", "checkins", "ratings", "unreachable", "match")
DEFAULT_ALERT_AFTER_DAYS = 7
#: reasons whose nudge goes to a member who is answering, not to a quiet pair
ALWAYS_NUDGE = ("unreachable", "ratings")
LIVE = ("active", "paused")
JOB = "health"


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("report", report_command, organiser_only=True))
    flows.commands.add(
        CommandSpec(
            "broadcast", broadcast_command, args="all|mentors|mentees text", organiser_only=True
        )
    )
    flows.on_job(JOB, check_job)
    flows.on_job("health_checkins", checkins_job)
    flows.on_job("_unreachable", unreachable_job)
    flows.group_complete.append(on_group_event)
    flows.agreement_complete.append(on_agreement_complete)
    flows.rhythm_changed.append(on_agreement_complete)  # judged by the new interval at once
    flows.meeting_planned.append(on_meeting_event)
    flows.meeting_held.append(on_meeting_held)


# -- settings ----------------------------------------------------------------
def alert_after(programme: Programme) -> timedelta:
    return timedelta(days=int(programme.settings.get("alert_after_days", DEFAULT_ALERT_AFTER_DAYS)))


def alert_wait(programme: Programme, flag: RiskFlag) -> timedelta:
    """How long a nudged flag waits before the organisers hear of it: for a
    missing meeting at most a quarter of the pair's interval."""
    wait = alert_after(programme)
    frequency = (flag.detail or {}).get("frequency")
    if flag.reason == "no_meeting" and isinstance(frequency, int | float) and frequency > 0:
        wait = min(wait, timedelta(days=frequency / 4))
    return wait


def paused_now(group: Group, now: datetime) -> bool:
    return group.status == "paused" and (
        group.paused_until is None or from_db(group.paused_until) > now
    )


# -- reading the group's state -------------------------------------------------
async def seats_and_people(work: Work, group_id: int) -> list[tuple[Member, Person]]:
    return await seats_with_people(work.session, group_id)


# -- raising, nudging, alerting, resolving ---------------------------------------
async def raise_flag(
    work: Work,
    group: Group,
    reason: str,
    detail: dict[str, object] | None = None,
    *,
    nudge: list[tuple[Member, Person]] | None = None,
    params: dict[str, object] | None = None,
    replan: bool = True,
    wording: str | None = None,
) -> RiskFlag | None:
    """Open a flag for ``reason`` (once) and nudge ``nudge`` (default: every member).

    Returns None when an open flag for the reason exists already: the group is
    nudged once per flag, not on every evaluation.
    """
    if paused_now(group, work.now):
        return None
    if reason in await open_flags(work, group.id):
        return None
    flag = RiskFlag(
        group_id=group.id,
        reason=reason,
        detail=dict(detail or {}),
        raised_at=to_db(work.now),
        nudged_at=to_db(work.now),
    )
    work.session.add(flag)
    await work.session.flush()
    note_raised(work, flag)
    targets = nudge if nudge is not None else await seats_and_people(work, group.id)
    if reason not in ALWAYS_NUDGE and not await attention.may_send(work, group):
        targets = []  # a quiet pair was told once how to switch messages back on
    names = {s.id: s.name for s, _ in await seats_and_people(work, group.id)}
    for seat, person in targets:
        if person.unreachable_at is not None:
            continue
        others = join_names(person.language, [n for sid, n in names.items() if sid != seat.id])
        text = work.t_for(
            person.language,
            f"health.nudge.{wording or reason}",
            others=others,
            **in_words(work, person.language, params or {}),
        )
        await deliver(work, person, Reply(text), key=f"health:nudge:{flag.id}:{seat.id}")
    if replan:
        await plan(work, group)
    return flag


async def deliver(work: Work, person: Person, reply: Reply, *, key: str) -> None:
    """Answer directly when ``person`` caused the event, else through the outbox."""
    if isinstance(work, Ctx) and work.person.id == person.id and not work.in_group:
        work.replies.append(work.out(reply))
    else:
        await work.tell(person.id, reply, key=key)


async def resolve(work: Work, group_id: int, reason: str) -> bool:
    flag = (await open_flags(work, group_id)).get(reason)
    if flag is None:
        return False
    flag.resolved_at = to_db(work.now)
    note_resolved(work, flag)
    return True


# -- evaluating a group ------------------------------------------------------------
async def evaluate(work: Work, group: Group, *, escalate: bool) -> None:
    """Raise what is due, resolve what is over, alert what stayed open too long."""
    with one_pass(work):
        await _evaluate(work, group, escalate=escalate)


async def _evaluate(work: Work, group: Group, *, escalate: bool) -> None:
    programme = await work.session.get(Programme, group.programme_id)
    if programme is None or group.status not in LIVE or ended(programme, work.now):
        return
    if paused_now(group, work.now):
        return
    flags = await open_flags(work, group.id)
    due = await agreement_deadline(work, group, programme)
    if due is None:
        await resolve(work, group.id, "agreement")
    elif work.now >= due:
        limit: dict[str, object] = {"days": agreement_days(programme)}
        await raise_flag(work, group, "agreement", limit, params=limit, replan=False)
    found = await meeting_deadline(work, group)
    if found is not None:
        deadline, rhythm = found
        if work.now >= deadline:
            since = await last_sign_of_life(work, group, rhythm)
            days = (work.now - since).days
            detail: dict[str, object] = {
                "days": days,
                "frequency": rhythm.frequency_days,
                "since": since.isoformat(),
            }
            # "since your last meeting" only when there was one; "book the
            # next one" only when nothing is booked (a series may be)
            never = await last_held(work, group.id) is None
            booked = await work.session.scalar(
                select(Meeting.id)
                .where(
                    Meeting.group_id == group.id,
                    Meeting.status == "planned",
                    Meeting.rrule.is_not(None) | (Meeting.starts_at > to_db(work.now)),
                )
                .limit(1)
            )
            await raise_flag(
                work,
                group,
                "no_meeting",
                detail,
                params=detail,
                replan=False,
                wording="no_meeting_booked"
                if booked is not None
                else ("no_meeting_yet" if never else None),
            )
        else:
            await resolve(work, group.id, "no_meeting")
    unbooked = await unbooked_deadline(work, group, programme)
    if unbooked is None:
        await resolve(work, group.id, "unbooked")
    elif work.now >= unbooked[0]:
        since = await last_sign_of_life(work, group, unbooked[1])
        numbers: dict[str, object] = {
            "days": (work.now - since).days,
            "frequency": unbooked[1].frequency_days,
        }
        await raise_flag(work, group, "unbooked", numbers, params=numbers, replan=False)
    if "unreachable" in flags:
        people = await seats_and_people(work, group.id)
        if all(p.unreachable_at is None for _, p in people):
            await resolve(work, group.id, "unreachable")
    if escalate:
        for flag in (await open_flags(work, group.id)).values():
            if flag.alerted_at is None and flag.nudged_at is not None:
                if work.now >= from_db(flag.nudged_at) + alert_wait(programme, flag):
                    await alert(work, group, programme, flag)


def ended(programme: Programme, now: datetime) -> bool:
    return now.date() > programme.end_date


async def next_deadline(work: Work, group: Group) -> datetime | None:
    programme = await work.session.get(Programme, group.programme_id)
    if programme is None or group.status not in LIVE or ended(programme, work.now):
        return None
    if paused_now(group, work.now):
        return from_db(group.paused_until) if group.paused_until is not None else None
    flags = await open_flags(work, group.id)
    times: list[datetime] = []
    if "agreement" not in flags:
        due = await agreement_deadline(work, group, programme)
        if due is not None:
            times.append(due)
    if "no_meeting" not in flags:
        found = await meeting_deadline(work, group)
        if found is not None:
            times.append(found[0])
    if "unbooked" not in flags:
        unbooked = await unbooked_deadline(work, group, programme)
        if unbooked is not None:
            times.append(unbooked[0])
    for flag in flags.values():
        if flag.alerted_at is None and flag.nudged_at is not None:
            times.append(from_db(flag.nudged_at) + alert_wait(programme, flag))
    return min(times) if times else None


async def plan(work: Work, group: Group, *, running: int | None = None) -> None:
    """Keep exactly one pending health job for the group, at its next deadline.

    Two statements: the pending jobs at any other time go, then the one at
    the deadline is planned by its key (an insert that does nothing when it
    is already there), so no read of the pending job is needed."""
    with one_pass(work):
        due = await next_deadline(work, group)
    stmt = delete(Job).where(Job.group_id == group.id, Job.kind == JOB, Job.done_at.is_(None))
    if running is not None:
        stmt = stmt.where(Job.id != running)
        if due is not None and due <= work.now:
            due = None  # handled by this run; never loop on the same instant
    if due is not None:
        due = max(due, work.now)
        stmt = stmt.where(Job.due_at != to_db(due))
    await work.session.execute(stmt.execution_options(synchronize_session=False))
    # (and the same for a job planned in this event but not yet written)
    drop_gathered(work.session, JOB, group.id, keep_due=due)
    if due is not None:
        await schedule(
            work.session, JOB, due, key=f"health:{group.id}:{due.isoformat()}", group_id=group.id
        )


# -- jobs and hooks ----------------------------------------------------------------
async def check_job(work: Work, job: Job) -> None:
    group = await work.session.get(Group, job.group_id) if job.group_id else None
    if group is None:
        return
    with one_pass(work):
        await evaluate(work, group, escalate=True)
        await plan(work, group, running=job.id)


async def on_group_event(ctx: Work, group: Group) -> None:
    with one_pass(ctx):
        await evaluate(ctx, group, escalate=False)
        await plan(ctx, group)


async def on_agreement_complete(work: Work, group: Group) -> None:
    """A late agreement closes its flag at once and starts the meeting clock."""
    with one_pass(work):
        await evaluate(work, group, escalate=False)
        await plan(work, group)


async def on_meeting_event(work: Work, meeting: Meeting) -> None:
    group = await work.session.get(Group, meeting.group_id)
    if group is not None:
        with one_pass(work):
            await evaluate(work, group, escalate=False)
            await plan(work, group)


async def on_meeting_held(work: Work, meeting: Meeting) -> None:
    with one_pass(work):
        await resolve(work, meeting.group_id, "no_meeting")
        await on_meeting_event(work, meeting)


async def checkins_job(work: Work, job: Job) -> None:
    """Some days after check-in n: who left both n-1 and n unanswered?"""
    group = await work.session.get(Group, job.group_id) if job.group_id else None
    number = int(job.payload.get("round", 0))
    if group is None or number < 2:
        return
    silent = [
        (seat, person)
        for seat, person in await seats_and_people(work, group.id)
        if not await answered(work, group.id, seat.id, "checkin", str(number))
        and not await answered(work, group.id, seat.id, "checkin", str(number - 1))
    ]
    if silent:
        await raise_flag(
            work,
            group,
            "checkins",
            {"rounds": [number - 1, number], "name": ", ".join(s.name for s, _ in silent)},
            nudge=silent,
        )


async def unreachable_job(work: Work, job: Job) -> None:
    """A member cannot be reached: flag each of her groups and tell the others now."""
    if job.person_id is None:
        return
    seats = await work.session.scalars(
        select(Member).where(
            Member.person_id == job.person_id,
            Member.group_id.is_not(None),
            Member.left_at.is_(None),
        )
    )
    for seat in list(seats):
        group = await work.session.get(Group, seat.group_id)
        if group is None or group.status not in LIVE:
            continue
        others = [(s, p) for s, p in await seats_and_people(work, group.id) if s.id != seat.id]
        flag = await raise_flag(
            work,
            group,
            "unreachable",
            {"name": seat.name},
            nudge=others,
            params={"name": seat.name},
        )
        if flag is not None and not any(p.unreachable_at is None for _, p in others):
            programme = await work.session.get(Programme, group.programme_id)
            if programme is not None:
                await alert(work, group, programme, flag)
