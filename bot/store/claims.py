"""Claiming rows for work (due jobs, pending outbox messages).

A claimed row carries ``claimed_until``; nobody else takes it until then, and
a worker that dies simply lets the claim run out.  On PostgreSQL the select
uses ``FOR UPDATE SKIP LOCKED`` so several workers claim disjoint rows, and
it runs inside the claiming ``UPDATE``: one statement.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import InstrumentedAttribute

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
    keys = _sort_keys(order)
    if not db.is_sqlite and keys is not None:
        return await _claim_in_one(db, model, where, order, keys, now=now, hold=hold, limit=limit)
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


def _sort_keys(order: list[Any]) -> list[str] | None:
    """The attribute names of an ``order`` made only of plain ascending
    columns (as every caller gives it), or None."""
    keys = []
    for column in order:
        key = getattr(column, "key", None)
        if not isinstance(column, InstrumentedAttribute) or not isinstance(key, str):
            return None
        keys.append(key)
    return keys


async def _claim_in_one(
    db: Database,
    model: type[Row],
    where: list[ColumnElement[bool]],
    order: list[Any],
    keys: list[str],
    *,
    now: datetime,
    hold: timedelta,
    limit: int,
) -> list[Row]:
    """PostgreSQL: the rows locked and claimed in one statement, the queue's
    usual form (``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)
    RETURNING``): one round trip where a ``SELECT`` and an ``UPDATE`` took
    two, the same rows, locks and claim.  ``RETURNING`` keeps no order, so
    the rows are put in ``order`` here; they carry their new claim."""
    table: Any = model
    chosen = (
        select(table.id)
        .where(*where, (table.claimed_until.is_(None)) | (table.claimed_until <= now))
        .order_by(*order)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(model)
        .where(table.id.in_(chosen.scalar_subquery()))
        .values(claimed_until=now + hold)
        .returning(model)
        .execution_options(synchronize_session=False)
    )
    async with db.transaction() as session:
        rows = list((await session.scalars(stmt)).all())
    rows.sort(key=lambda row: tuple(getattr(row, key) for key in keys))
    return rows
