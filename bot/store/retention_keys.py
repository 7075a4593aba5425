"""Moving delivered messages and done jobs into their slim tables.

After :data:`~bot.store.retention.OUTBOX_KEEP` a delivered message is only
read for its key, recipient, time and digest mark, and a done job (after
:data:`JOB_KEEP`) only for its key (kept with its id and kind, the kind as
its number in ``job_kinds``: its messages are keyed by the id): both move
into the slim tables of :mod:`bot.store.spent`, and the wide rows are
deleted.  Inserts check the slim tables too
(:func:`bot.store.inserts.insert_absent`), so a message queued or a job
planned again with a spent key still adds nothing.  No time horizon: keys
are kept for good.  The inbox forgets nothing either, and a job that
ran months ago may still be planned again by key (a meeting's reminders are
re-planned whenever the meeting is saved), so no age makes a key safe to
forget; kept slim, a programme's keys cost a few kilobytes per pair.

Not moved:

* a message sent to nobody's account (no ``person_id``) with a random key
  (``u:``): nothing queues it again and the message measure does not count
  it, so it is deleted outright;
* jobs some flow still reads after they ran (:data:`READ_WHEN_DONE`: their
  payload says which round they sent, or their count or due time matters);
* the newest job: SQLite hands out ``max(id) + 1`` as the next id, and a job's
  messages are keyed by its id (``job:<id>:<n>``), so a deleted newest job's id
  would come back with its spent message keys;
* rows with a digest mark this module cannot read as a number (none is
  written today): they only lose their words, as before.

Each move is two transactions: the keys are copied and committed, then the
wide rows deleted.  In between a key is in both tables, so an insert that
checks one or the other never misses it; on PostgreSQL an insert whose
statement began before the copy committed and reached its key check after
the delete committed could still pass (a statement spanning two whole
sweep transactions, for a key delivered a day before).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, select

from bot.store.db import Database, to_db
from bot.store.inserts import dialect_of
from bot.store.models import Job, OutboxMessage
from bot.store.retention import OUTBOX_KEEP
from bot.store.session import DbSession
from bot.store.spent import JOB_KEYS, JOB_KINDS, SENT, seconds

#: how long a done job stays whole before only its key is kept
JOB_KEEP = timedelta(days=7)
#: job kinds whose done rows a flow reads (goal_follow_up, match_check,
#: feedback_answers, circles, health, last_meeting)
READ_WHEN_DONE = (
    "goal_check",
    "match_check",
    "fb_round",
    "circle_activity",
    "group_resume",
    "last_meeting_guide",
)
#: rows moved per transaction
BATCH = 2_000


def _insert_ignore(session: DbSession, table: Table) -> Any:
    if dialect_of(session) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def _digest(mark: str | None) -> tuple[bool, int | None]:
    if mark is None:
        return True, None
    if mark.startswith("t:"):
        try:
            return True, int(mark[2:], 16)
        except ValueError:
            pass
    return False, None


async def kind_codes(session: DbSession, names: set[str]) -> dict[str, int]:
    """The numbers of these job kinds in ``job_kinds``; a kind seen for the
    first time is numbered here (only then: PostgreSQL would spend a number
    of its sequence on every insert that finds the name already there)."""
    query = select(JOB_KINDS.c.name, JOB_KINDS.c.code).where(JOB_KINDS.c.name.in_(names))
    codes = {str(name): int(code) for name, code in (await session.execute(query)).all()}
    new = sorted(names - codes.keys())
    if new:
        await session.execute(_insert_ignore(session, JOB_KINDS), [{"name": n} for n in new])
        codes = {str(name): int(code) for name, code in (await session.execute(query)).all()}
    return codes


async def move_delivered_outbox(db: Database, now: datetime) -> int:
    """Move messages delivered more than OUTBOX_KEEP ago; returns how many went."""
    cutoff = to_db(now - OUTBOX_KEEP)
    moved = 0
    while True:
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    select(
                        OutboxMessage.id,
                        OutboxMessage.idem_key,
                        OutboxMessage.person_id,
                        OutboxMessage.sent_at,
                        OutboxMessage.digest,
                    )
                    .where(
                        OutboxMessage.sent_at.is_not(None),
                        OutboxMessage.sent_at < cutoff,
                        OutboxMessage.idem_key.not_like("strip:%"),
                    )
                    .order_by(OutboxMessage.id)
                    .limit(BATCH)
                )
            ).all()
            ids: list[int] = []
            keep: list[dict[str, Any]] = []
            for row_id, key, person_id, sent_at, mark in rows:
                readable, digest = _digest(mark)
                if not readable:
                    continue
                ids.append(row_id)
                if person_id is None and key.startswith("u:"):
                    continue  # random key, counted by nothing
                keep.append(
                    {
                        "idem_key": key,
                        "person_id": person_id,
                        "sent": seconds(cast(datetime, sent_at)),  # selected: not None
                        "digest": digest,
                    }
                )
            if keep:
                await session.execute(_insert_ignore(session, SENT), keep)
        if ids:
            async with db.transaction(durable=False) as session:
                await session.execute(
                    delete(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids))
                    .execution_options(synchronize_session=False)
                )
        moved += len(ids)
        if len(rows) < BATCH:
            return moved


async def move_done_jobs(db: Database, now: datetime) -> int:
    """Replace jobs done more than JOB_KEEP ago by their keys; returns how many went."""
    cutoff = to_db(now - JOB_KEEP)
    moved = 0
    while True:
        async with db.transaction() as session:
            newest = select(func.max(Job.id)).scalar_subquery()
            rows = (
                await session.execute(
                    select(Job.id, Job.key, Job.kind)
                    .where(
                        Job.done_at.is_not(None),
                        Job.done_at < cutoff,
                        Job.kind.not_in(READ_WHEN_DONE),
                        Job.id < newest,
                    )
                    .order_by(Job.id)
                    .limit(BATCH)
                )
            ).all()
            keyed = [(job_id, key, kind) for job_id, key, kind in rows if key is not None]
            if keyed:
                codes = await kind_codes(session, {kind for _, _, kind in keyed})
                keys = [
                    {"key": key, "job_id": job_id, "kind_code": codes[kind]}
                    for job_id, key, kind in keyed
                ]
                await session.execute(_insert_ignore(session, JOB_KEYS), keys)
        ids = [row_id for row_id, _, _ in rows]
        if ids:
            async with db.transaction(durable=False) as session:
                await session.execute(
                    delete(Job).where(Job.id.in_(ids)).execution_options(synchronize_session=False)
                )
        moved += len(ids)
        if len(rows) < BATCH:
            return moved
