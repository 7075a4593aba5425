"""The end-of-programme evaluation at the close, and its timing when the dates move.

At the programme's close (:mod:`bot.flows.closing`) each member who has not
given the final evaluation gets it now, opened by a closing message that fits
what happened: how many meetings the group actually held, none at all, or a
partner missing at the end.  Whoever answered already gets the closing
words.  When ``program update`` moves the dates, the mid-programme and final
evaluations move with them.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from bot.core.context import Work
from bot.core.types import Reply
from bot.flows.feedback_answers import answers_of
from bot.flows.feedback_asking import ask, next_step, people_of, questions_for, send
from bot.flows.feedback_rounds import final_time, held_count, midpoint_time
from bot.flows.registry import Flows
from bot.organiser.lifecycle import OPEN
from bot.store.jobs import schedule
from bot.store.models import Group, Job, Programme


def register(flows: Flows) -> None:
    flows.group_closing.append(close_round)
    flows.programme_dates.append(replan)


def closing_key(group: Group, held: int) -> str:
    if group.status == "incomplete":
        return "lifecycle.closing.alone"
    return {0: "lifecycle.closing.none", 1: "lifecycle.closing.held_one"}.get(
        held, "lifecycle.closing.held_many"
    )


async def close_round(work: Work, group: Group) -> None:
    programme = await work.session.get(Programme, group.programme_id)
    if programme is None:
        return
    held = await held_count(work, group)
    key = closing_key(group, held)
    for seat, person in await people_of(work, group.id):
        if person.unreachable_at is not None:
            continue
        lang = person.language
        intro = work.t_for(lang, key, programme=programme.name, held=held)
        answers = await answers_of(work, group.id, seat.id, "final", "1")
        dedupe = f"fb:close:{group.id}:{seat.id}"
        if next_step(questions_for(work, "final", seat.role), answers) is None:
            closing = work.t_for(lang, f"feedback.closing.{seat.role}")
            await send(work, person, Reply(intro + "\n\n" + closing), key=dedupe)
            continue
        await send(work, person, Reply(intro), key=dedupe)
        # the evaluation's next question; one already sent (a week before the end,
        # still unanswered) is not sent twice: the outbox knows its key
        await ask(work, group, seat, person, "final", "1")


async def replan(work: Work, programme: Programme) -> None:
    """Move the pending mid-programme and final evaluations to the new dates."""
    groups = await work.session.scalars(
        select(Group).where(Group.programme_id == programme.id, Group.status.in_(OPEN))
    )
    for group in list(groups):
        if group.completed_at is None:
            continue  # planned when the group completes
        for kind, at in (("midpoint", midpoint_time(programme)), ("final", final_time(programme))):
            removed = await _drop(work, f"fb:{kind}:{group.id}")
            if at > work.now and removed:  # one that ran already is not sent again
                await schedule(
                    work.session,
                    "fb_round",
                    at,
                    key=f"fb:{kind}:{group.id}:{at.date().isoformat()}",
                    group_id=group.id,
                    payload={"kind": kind, "round": "1"},
                )


async def _drop(work: Work, key: str) -> int:
    """Delete the pending job ``key`` (or a re-planned ``key:date``); how many went."""
    result = await work.session.execute(
        delete(Job)
        .where(Job.done_at.is_(None), or_(Job.key == key, Job.key.startswith(key + ":")))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
