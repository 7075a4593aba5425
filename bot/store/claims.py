"""Claiming rows for work (due jobs, pending outbox messages).

A claimed row carries ``claimed_until``; nobody else takes it until then, and
a worker that dies simply lets the claim run out.  On PostgreSQL the select
uses ``FOR UPDATE SKIP LOCKED`` so several workers claim disjoint rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update

from bot.store.db import Database

Row = TypeVar("Row")


async def claim(
    db: Database,
    model: type[Row],
    where: list[ColumnElement[bool]],
    order: list[Any],
    *,
    now: datetime,
    hold: timedelta,
    limit: int,
) -> list[Row]:
    """Take up to ``limit`` rows matching ``where`` whose claim (if any) has run out."""
    table: Any = model
    async with db.transaction() as session:
        stmt = (
            select(model)
            .where(*where, (table.claimed_until.is_(None)) | (table.claimed_until <= now))
            .order_by(*order)
            .limit(limit)
        )
        if not db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list((await session.scalars(stmt)).all())
        if rows:
            await session.execute(
                update(model)
                .where(table.id.in_([r.id for r in rows]))  # type: ignore[attr-defined]
                .values(claimed_until=now + hold)
                .execution_options(synchronize_session=False)
            )
        return rows
