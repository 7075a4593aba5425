"""The programme's end: every group closes, in words that fit what happened.

The morning after the end date (a job planned when the programme is created
and re-planned whenever ``program update`` moves the end) each open group
closes: its future meetings and pending reminders, nudges and check-ins
stop, the registry's ``group_closing`` hooks run (the feedback flow sends the
final evaluation to whoever has not given it, opened by a closing message
that counts the meetings actually held), and the group becomes
``completed``.  The organisers get one summary.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from bot.core.context import Work
from bot.core.types import Reply
from bot.flows.registry import Flows
from bot.organiser.lifecycle import OPEN, resolve_flag, stop_meetings
from bot.organiser.programmes import CLOSE_JOB, plan_close
from bot.store.db import to_db
from bot.store.groups import organisers_of, seats_with_people
from bot.store.models import Group, Job, Programme


def register(flows: Flows) -> None:
    flows.on_job(CLOSE_JOB, close_job)
    flows.programme_dates.append(replan)
    flows.group_complete.append(ensure_planned)


async def replan(work: Work, programme: Programme) -> None:
    await plan_close(work.session, programme)


async def ensure_planned(ctx: Work, group: Group) -> None:
    """Programmes from before the close existed get theirs when a group completes
    (planning is idempotent: the job's key names the programme and its end)."""
    programme = await ctx.session.get(Programme, group.programme_id)
    if programme is not None:
        await plan_close(ctx.session, programme)


async def close_job(work: Work, job: Job) -> None:
    programme = await work.session.get(Programme, int(job.payload.get("programme_id", 0)))
    if programme is None or work.now.date() <= programme.end_date:
        return  # the end moved; the new close job does it
    await close_programme(work, programme)


async def close_programme(work: Work, programme: Programme) -> Counter[str]:
    groups = list(
        (
            await work.session.scalars(
                select(Group)
                .where(Group.programme_id == programme.id, Group.status.in_(OPEN))
                .order_by(Group.id)
            )
        ).all()
    )
    before: Counter[str] = Counter(g.status for g in groups)
    for group in groups:
        await stop_meetings(work, group)
        if group.status in ("active", "paused", "incomplete"):
            for hook in work.flows.group_closing if work.flows else []:
                await hook(work, group)
        else:  # nobody else ever joined: whoever waited is thanked all the same
            for seat, person in await seats_with_people(work.session, group.id):
                text = work.t_for(
                    person.language, "lifecycle.closing.never_joined", programme=programme.name
                )
                await work.tell(person.id, Reply(text), key=f"close:{group.id}:{seat.id}")
        group.status = "completed"
        group.closed_at = to_db(work.now)
        group.paused_until = None
        await resolve_flag(work, group, "incomplete")
    for organiser in await organisers_of(work.session, programme.id):
        lang = organiser.language
        text = work.t_for(
            lang,
            "lifecycle.closed.organiser",
            programme=programme.name,
            count=len(groups),
            never=before.get("invited", 0),
            incomplete=before.get("incomplete", 0),
        )
        await work.tell(
            organiser.id,
            Reply(text),
            key=f"close:{programme.id}:{programme.end_date.isoformat()}:{organiser.id}",
        )
    return before
