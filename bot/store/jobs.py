"""Scheduling jobs: idempotent by key, so planning the same reminder twice is harmless."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete

from bot.store.batch_memo import defer
from bot.store.db import to_db
from bot.store.inserts import dialect_of, insert_absent, insert_statement
from bot.store.models import Job
from bot.store.session import DbSession
from bot.store.spent import JOB_KEYS

JOBS: Table = Job.__table__  # type: ignore[assignment]

#: ``session.info`` key of the jobs planned inside :func:`gathered`, not yet written
GATHERED = "jobs_gathered"


@asynccontextmanager
async def gathered(session: DbSession) -> AsyncIterator[None]:
    """Plan the block's jobs together: :func:`schedule` and
    :func:`schedule_many` inside it keep their rows, and the block's end
    writes them all in one ``executemany`` (in the order they were planned),
    where each used to be a statement of its own.

    Only for a block that never reads the jobs it plans before its end: a
    booked meeting's reminders, check and the nudges its hooks plan (see
    ``bot.flows.meeting_basics.plan_jobs``).  A delete of pending jobs
    inside the block drops the matching rows kept here too
    (:func:`drop_gathered`).  Nested blocks join the outermost one."""
    if GATHERED in session.info:
        yield
        return
    rows: list[dict[str, Any]] = []
    session.info[GATHERED] = rows
    try:
        yield
    finally:
        session.info.pop(GATHERED, None)
    await schedule_many(session, rows)


def drop_gathered(
    session: DbSession, kind: str, group_id: int, *, keep_due: datetime | None
) -> None:
    """What deleting the group's pending ``kind`` jobs (but one at ``keep_due``)
    does to the rows :func:`gathered` still keeps back."""
    rows: list[dict[str, Any]] | None = session.info.get(GATHERED)
    if rows:
        rows[:] = [
            r
            for r in rows
            if not (
                r["kind"] == kind
                and r.get("group_id") == group_id
                and (keep_due is None or r["due_at"] != keep_due)
            )
        ]


async def schedule(
    session: DbSession,
    kind: str,
    due_at: datetime,
    *,
    key: str | None = None,
    group_id: int | None = None,
    person_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> int | None:
    """Plan a job; returns its id, or None when a job with this key already exists.

    One statement (an insert that skips a key present, or spent by retention),
    written at once --
    except inside a batch of jobs that defers its writes (see
    :mod:`bot.store.batch_memo`): there the new jobs of the whole batch are
    inserted together at its end, and None is returned (no id is known yet);
    likewise inside :func:`gathered`."""
    kept: list[dict[str, Any]] | None = session.info.get(GATHERED)
    if kept is not None:
        kept.append(
            {
                "kind": kind,
                "due_at": due_at,
                "key": key,
                "group_id": group_id,
                "person_id": person_id,
                "payload": payload,
            }
        )
        return None
    values = {
        "kind": kind,
        "due_at": to_db(due_at),
        "key": key,
        "group_id": group_id,
        "person_id": person_id,
        "payload": payload or {},
        "attempts": 0,
        "claimed_until": None,
        "done_at": None,
    }
    if defer(session, _later(dialect_of(session)), values):
        return None
    return await insert_absent(session, JOBS, "key", values, spent=JOB_KEYS)


async def schedule_many(session: DbSession, planned: list[dict[str, Any]]) -> None:
    """Plan several jobs in one statement (an ``executemany`` of the same
    insert-if-absent as :func:`schedule`), for a flow that plans a handful at
    once and needs none of their ids: a meeting's reminders and its check.
    Each entry holds :func:`schedule`'s arguments (``kind``, ``due_at`` and
    optionally ``key``, ``group_id``, ``person_id``, ``payload``); a key
    already present (or spent) is skipped, as there.  Inside a batch that
    defers its writes the rows join the batch's own (see
    :mod:`bot.store.batch_memo`)."""
    if not planned:
        return
    kept: list[dict[str, Any]] | None = session.info.get(GATHERED)
    if kept is not None:
        kept.extend(planned)
        return
    rows = [
        {
            "kind": job["kind"],
            "due_at": to_db(job["due_at"]),
            "key": job.get("key"),
            "group_id": job.get("group_id"),
            "person_id": job.get("person_id"),
            "payload": job.get("payload") or {},
            "attempts": 0,
            "claimed_until": None,
            "done_at": None,
        }
        for job in planned
    ]
    statement = _later(dialect_of(session))
    if all(defer(session, statement, row) for row in rows):
        return
    await session.execute(statement, rows if len(rows) > 1 else rows[0])


def _later(dialect: str) -> Any:
    return insert_statement(JOBS, "key", dialect, spent=JOB_KEYS, returning=False)


async def cancel_pending(
    session: DbSession, *, group_id: int | None = None, key_prefix: str | None = None
) -> int:
    """Drop jobs that have not run yet (e.g. reminders of a rescheduled meeting),
    those :func:`gathered` still keeps back included."""
    kept: list[dict[str, Any]] | None = session.info.get(GATHERED)
    if kept:
        kept[:] = [
            r
            for r in kept
            if not (
                (group_id is None or r.get("group_id") == group_id)
                and (key_prefix is None or str(r.get("key") or "").startswith(key_prefix))
                and (key_prefix is None or r.get("key") is not None)
            )
        ]
    stmt = delete(Job).where(Job.done_at.is_(None))
    if group_id is not None:
        stmt = stmt.where(Job.group_id == group_id)
    if key_prefix is not None:
        stmt = stmt.where(Job.key.startswith(key_prefix))
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
