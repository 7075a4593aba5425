"""Surveys never interrupt an open meeting question (issue 23).

A check-in or evaluation that falls due while a "did you meet?" is open is
planned again for when the question expires; an answer to the question
(the ``meeting_answered`` hook) moves every survey that waited for it to now.
So the closing survey never pushes the question out of view, and counts the
meeting once it is confirmed.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Work
from bot.flows import attention
from bot.store.db import to_db
from bot.store.jobs import schedule
from bot.store.models import Group, Job, Meeting

WAITING = ":wait:"


async def wait_for_meeting_question(work: Work, group: Group, job: Job) -> bool:
    """A survey never lands on top of an open "did you meet?": it waits until
    the question is answered (see :func:`release_waiting`) or expires."""
    until = await attention.open_question_until(work, group.id)
    if until is None:
        return False
    await schedule(
        work.session,
        "fb_round",
        until,
        key=f"fb:{job.payload['kind']}:{group.id}:{job.payload['round']}{WAITING}{until.isoformat()}",
        group_id=group.id,
        payload=dict(job.payload),
    )
    return True


async def release_waiting(work: Work, meeting: Meeting) -> None:
    """The meeting question was answered: surveys that waited for it go out now."""
    rows = await work.session.scalars(
        select(Job).where(
            Job.group_id == meeting.group_id,
            Job.kind == "fb_round",
            Job.done_at.is_(None),
            Job.key.contains(WAITING),
            Job.due_at > to_db(work.now),
        )
    )
    for job in rows:
        job.due_at = to_db(work.now)
