"""Insert-if-absent in one statement: ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``.

Idempotent writes (a job planned by key, an outbox message by its
idempotency key) used to look the key up first and then insert: two
statements, and on PostgreSQL a race between two workers ended in a unique
violation.  One insert that skips a present key does both, on SQLite (3.35
or later) and PostgreSQL alike.  The statements are built once per table,
key and dialect and executed with plain parameters, so a call costs no
statement construction.

A key can also be *spent*: retention moved its row into a slim table
(:mod:`bot.store.spent`).  The insert then selects its values only where
that table lacks the key, still one statement: ``INSERT ... SELECT ...
WHERE NOT EXISTS (spent key) ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, exists, select
from sqlalchemy.sql.dml import Insert

from bot.store.session import DbSession, SyncBackedSession, run_core

_BUILT: dict[tuple[str, str, str, bool, str | None, bool], Insert] = {}


def dialect_of(session: DbSession) -> str:
    if isinstance(session, SyncBackedSession):
        return session.sync_session.get_bind().dialect.name
    return session.get_bind().dialect.name


def insert_statement(
    table: Table,
    key: str,
    dialect: str,
    *,
    spent: Table | None = None,
    returning: bool = True,
    with_id: bool = False,
) -> Insert:
    """The insert-if-absent for ``table`` by ``key``, built once per dialect;
    ``spent`` is the slim table of keys retention moved out (see below),
    ``returning=False`` leaves out ``RETURNING id`` (for ``executemany``),
    ``with_id`` takes the id as a value too (given out ahead, see
    :func:`bot.store.batch_memo.new_id`)."""
    cache_key = (
        table.name,
        key,
        dialect,
        returning,
        spent.name if spent is not None else None,
        with_id,
    )
    built = _BUILT.get(cache_key)
    if built is None:
        # imported here: the PostgreSQL dialect stays off a SQLite bot's start
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            built = pg_insert(table)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            built = sqlite_insert(table)
        if spent is not None:
            columns = [c for c in table.c if with_id or not c.primary_key]
            values = select(*(bindparam(c.name, type_=c.type) for c in columns)).where(
                ~exists().where(
                    next(iter(spent.primary_key.columns)) == bindparam(key, type_=table.c[key].type)
                )
            )
            built = built.from_select([c.name for c in columns], values)
        built = built.on_conflict_do_nothing(index_elements=[key])
        if returning:
            built = built.returning(table.c.id)
        _BUILT[cache_key] = built
    return built


async def insert_absent(
    session: DbSession,
    table: Table,
    key: str,
    values: dict[str, Any],
    *,
    spent: Table | None = None,
) -> int | None:
    """Insert ``values`` into ``table`` unless a row with the same ``key`` column
    exists (in it, or spent in its slim table); ``values`` names every column
    but the id.  ``spent`` is the slim table whose primary key holds the keys
    retention moved out of ``table``.  Returns the new row's id, or None when
    nothing was inserted."""
    result = await run_core(
        session, insert_statement(table, key, dialect_of(session), spent=spent), values
    )
    new_id = result.scalar()
    return int(new_id) if new_id is not None else None


_UPSERTS: dict[tuple[str, str], Insert] = {}


def upsert_statement(table: Table, dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT (primary key) DO UPDATE`` of every other
    column, built once per table and dialect: one statement where a row
    replaced by its key took a delete and an insert."""
    built = _UPSERTS.get((table.name, dialect))
    if built is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            base: Any = pg_insert(table)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            base = sqlite_insert(table)
        keys = [c.name for c in table.primary_key.columns]
        built = base.on_conflict_do_update(
            index_elements=keys,
            set_={c.name: base.excluded[c.name] for c in table.c if c.name not in keys},
        )
        _UPSERTS[(table.name, dialect)] = built
    return built
