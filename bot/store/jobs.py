"""Scheduling jobs: idempotent by key, so planning the same reminder twice is harmless."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from bot.store.db import to_db
from bot.store.models import Job
from bot.store.session import DbSession


async def schedule(
    session: DbSession,
    kind: str,
    due_at: datetime,
    *,
    key: str | None = None,
    group_id: int | None = None,
    person_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Job | None:
    """Plan a job; returns None when a job with this key already exists."""
    if key is not None:
        found = await session.scalar(select(Job.id).where(Job.key == key))
        if found is not None:
            return None
    job = Job(
        kind=kind,
        due_at=to_db(due_at),
        key=key,
        group_id=group_id,
        person_id=person_id,
        payload=payload or {},
        attempts=0,
    )
    session.add(job)
    await session.flush()
    return job


async def cancel_pending(
    session: DbSession, *, group_id: int | None = None, key_prefix: str | None = None
) -> int:
    """Drop jobs that have not run yet (e.g. reminders of a rescheduled meeting)."""
    stmt = delete(Job).where(Job.done_at.is_(None))
    if group_id is not None:
        stmt = stmt.where(Job.group_id == group_id)
    if key_prefix is not None:
        stmt = stmt.where(Job.key.startswith(key_prefix))
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
