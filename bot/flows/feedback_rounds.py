"""When feedback is asked: check-ins between meetings, the midpoint and the final evaluation.

Times come from the programme's settings (with defaults); a round is a job at
nine in the morning UTC, and a check-in too close to the midpoint or final
evaluation is skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from bot.core.context import Work
from bot.flows import attention, health, survey_wait
from bot.flows.feedback_asking import (
    start_round,
)
from bot.store.db import from_db
from bot.store.groups import held_or_get
from bot.store.jobs import schedule
from bot.store.models import (
    Group,
    Job,
    Meeting,
    Programme,
)

DEFAULTS = {
    "checkin_first_days": 30,
    "checkin_every_days": 60,
    "checkin_answer_days": 10,
    "final_days_before": 7,
    "quiet_days": 14,  # no check-in this close to the mid/final evaluation
}


SEND_AT = time(9, 0, tzinfo=UTC)


def setting(programme: Programme, name: str) -> int:
    return int(programme.settings.get(name, DEFAULTS[name]))


def at_send_time(day: date) -> datetime:
    return datetime.combine(day, SEND_AT)


def final_time(programme: Programme) -> datetime:
    return at_send_time(
        programme.end_date - timedelta(days=setting(programme, "final_days_before"))
    )


def midpoint_time(programme: Programme) -> datetime:
    half = (programme.end_date - programme.start_date) / 2
    return at_send_time(programme.start_date + half)


def too_close(programme: Programme, when: datetime) -> bool:
    quiet = timedelta(days=setting(programme, "quiet_days"))
    return any(
        abs(when - other) < quiet for other in (midpoint_time(programme), final_time(programme))
    ) or (when > final_time(programme))


async def schedule_checkin(
    work: Work, group: Group, programme: Programme, n: int, at: datetime
) -> None:
    """Plan check-in ``n`` at ``at``; one that falls close to an evaluation is left out."""
    every = timedelta(days=setting(programme, "checkin_every_days"))
    while too_close(programme, at):
        if at > final_time(programme):
            return
        at += every
    await schedule(
        work.session,
        "fb_round",
        at,
        key=f"fb:checkin:{group.id}:{n}",
        group_id=group.id,
        payload={"kind": "checkin", "round": str(n)},
    )


async def plan_rounds(ctx: Work, group: Group) -> None:
    programme = await ctx.session.get(Programme, group.programme_id)
    if programme is None:
        return
    first = ctx.now + timedelta(days=setting(programme, "checkin_first_days"))
    await schedule_checkin(ctx, group, programme, 1, first)
    for kind, at in (("midpoint", midpoint_time(programme)), ("final", final_time(programme))):
        if at > ctx.now:
            await schedule(
                ctx.session,
                "fb_round",
                at,
                key=f"fb:{kind}:{group.id}",
                group_id=group.id,
                payload={"kind": kind, "round": "1"},
            )


async def held_count(work: Work, group: Group) -> int:
    held = await work.session.scalar(
        select(func.count(Meeting.id)).where(Meeting.group_id == group.id, Meeting.status == "held")
    )
    return int(held or 0)


async def round_job(work: Work, job: Job) -> None:
    # (the batch read its groups and programmes ahead: see bot.core.scheduler)
    group = await held_or_get(work.session, Group, job.group_id) if job.group_id else None
    if group is None or group.status not in health.LIVE:
        return
    programme = await held_or_get(work.session, Programme, group.programme_id)
    assert programme is not None
    kind, round_ = str(job.payload["kind"]), str(job.payload["round"])
    if health.paused_now(group, work.now) and kind == "checkin":
        # pauses count for nothing: the check-in waits until the pause ends
        until = from_db(group.paused_until) if group.paused_until else work.now
        await schedule(
            work.session,
            "fb_round",
            until,
            key=f"fb:checkin:{group.id}:{round_}:{until.isoformat()}",
            group_id=group.id,
            payload=dict(job.payload),
        )
        return
    if await survey_wait.wait_for_meeting_question(work, group, job):
        return
    sent = await attention.may_send(work, group)
    if sent:
        await attention.record_prompt(work, group.id, kind)
    params: dict[str, object] = {"programme": programme.name}
    intro_key = ""
    if kind == "final":
        held = await held_count(work, group)
        params["held"] = held
        # no praise of meetings that never took place
        intro_key = {0: "feedback.intro.final_none", 1: "feedback.intro.final_one"}.get(held, "")
    if sent:
        await start_round(work, group, kind, round_, intro_key=intro_key, **params)
    if kind == "checkin":
        n = int(round_)
        every = timedelta(days=setting(programme, "checkin_every_days"))
        await schedule_checkin(work, group, programme, n + 1, work.now + every)
        if n >= 2 and sent:
            await schedule(
                work.session,
                "health_checkins",
                work.now + timedelta(days=setting(programme, "checkin_answer_days")),
                key=f"fb:late:{group.id}:{n}",
                group_id=group.id,
                payload={"round": n},
            )
