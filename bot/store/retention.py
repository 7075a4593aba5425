"""How long the bot keeps people who never joined, and delivered messages' words.

Anyone who writes to the bot becomes a ``Person`` (with their platform name and
id) before they redeem an invite.  Someone who never redeems one and never
consents is a stranger: 30 days after their last activity everything about
them is deleted by a job (``stranger_purge``, handled in
:mod:`bot.flows.erasure`).  The job is planned when the person is first seen;
state is in the database and time comes from the Clock, like every job.

A delivered outbox message keeps its words (the payload: text, buttons,
attached calendar files) for :data:`OUTBOX_KEEP`, then only what the rest of
the bot still reads: its ``idem_key`` (queueing with a key stays idempotent,
and forwarded /contact messages are recognised by theirs), who it went to and
when, and its digest mark (the organisers' message measure).  Those move into
a slim table (:mod:`bot.store.retention_keys`); a row that cannot move only
loses its words here.

A question (:mod:`bot.core.questions`) that closed more than
:data:`SENT_QUESTION_KEEP` ago (a day, as delivered messages' words) is
deleted once its message went out, and :data:`QUESTION_KEEP` after it closed
if it never did: only open questions are ever looked up
again (a press on a closed one is answered by its flow, which knows from its
own state that the question is over), and the one edit that took its buttons
away was queued when it closed.  That edit's own outbox row (key ``strip:``)
is deleted when it is delivered (:mod:`bot.core.delivery`): it was no message
to count, and its question cannot close twice; the sweep here deletes any
delivered one past :data:`OUTBOX_KEEP` still left (from before that).  The
newest question is always
kept, so SQLite never hands a deleted question's id (and its ``strip:`` key)
to a new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, func, select, update

from bot.store.db import to_db
from bot.store.jobs import schedule
from bot.store.live_questions import LiveQuestion
from bot.store.models import OutboxMessage
from bot.store.session import DbSession

STRANGER_JOB = "stranger_purge"
STRANGER_DAYS = timedelta(days=30)
#: how long a delivered message keeps its words.  Nothing in the bot reads
#: them once delivered (delivery reads unsent rows only; an edit carries its own
#: target), so they are kept only as long as someone looking into a message
#: reported the same day might want them: less kept, less to protect
OUTBOX_KEEP = timedelta(days=1)
#: how long a closed question is kept while its message was never sent (an
#: unsent message may still carry it: when it goes out, the closed question's
#: buttons are taken away at once)
QUESTION_KEEP = timedelta(days=7)
#: how long a closed question whose message went out is kept: nothing reads it
#: again (its one button removal was queued when it closed), so it goes with
#: the words of delivered messages
SENT_QUESTION_KEEP = OUTBOX_KEEP


async def plan_stranger_purge(session: DbSession, person_id: int, at: datetime) -> None:
    """Check on ``person_id`` at ``at`` (idempotent per person and time)."""
    await schedule(
        session,
        STRANGER_JOB,
        at,
        key=f"stranger:{person_id}:{at.isoformat()}",
        # in the payload, not the person_id column: the job must outlive the
        # person it deletes (that column cascades)
        payload={"person_id": person_id},
    )


async def compact_delivered_outbox(session: DbSession, now: datetime) -> int:
    """Drop the words of messages delivered more than OUTBOX_KEEP ago; returns
    how many rows were compacted (the rows themselves stay)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_not(None),
            OutboxMessage.sent_at < to_db(now - OUTBOX_KEEP),
            func.length(cast(OutboxMessage.payload, String)) > 2,
        )
        .values(payload={})
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def purge_closed_questions(session: DbSession, now: datetime) -> int:
    """Delete questions closed more than QUESTION_KEEP ago, or SENT_QUESTION_KEEP
    ago once their message went out (never the newest one: its id must not be
    handed out again), and the delivered edits that took their buttons away;
    returns how many rows went."""
    newest = select(func.max(LiveQuestion.id)).scalar_subquery()
    questions = await session.execute(
        delete(LiveQuestion)
        .where(
            LiveQuestion.open.is_(False),
            LiveQuestion.closed_at < to_db(now - SENT_QUESTION_KEEP),
            LiveQuestion.message_ref.is_not(None)
            | (LiveQuestion.closed_at < to_db(now - QUESTION_KEEP)),
            LiveQuestion.id < newest,
        )
        .execution_options(synchronize_session=False)
    )
    strips = await session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.idem_key.startswith("strip:"),
            OutboxMessage.sent_at < to_db(now - OUTBOX_KEEP),
        )
        .execution_options(synchronize_session=False)
    )
    return int(questions.rowcount or 0) + int(strips.rowcount or 0)  # type: ignore[attr-defined]
