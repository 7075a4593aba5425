"""Insert-if-absent in one statement: ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``.

Idempotent writes (a job planned by key, an outbox message by its
idempotency key) used to look the key up first and then insert: two
statements, and on PostgreSQL a race between two workers ended in a unique
violation.  One insert that skips a present key does both, on SQLite (3.35
or later) and PostgreSQL alike.  The statements are built once per table,
key and dialect and executed with plain parameters, so a call costs no
statement construction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.sql.dml import Insert

from bot.store.session import DbSession, SyncBackedSession

_BUILT: dict[tuple[str, str, str, bool], Insert] = {}


def dialect_of(session: DbSession) -> str:
    if isinstance(session, SyncBackedSession):
        return session.sync_session.get_bind().dialect.name
    return session.get_bind().dialect.name


def insert_statement(table: Table, key: str, dialect: str, *, returning: bool = True) -> Insert:
    """The insert-if-absent for ``table`` by ``key``, built once per dialect;
    ``returning=False`` leaves out ``RETURNING id`` (for ``executemany``)."""
    built = _BUILT.get((table.name, key, dialect, returning))
    if built is None:
        # imported here: the PostgreSQL dialect stays off a SQLite bot's start
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            built = pg_insert(table).on_conflict_do_nothing(index_elements=[key])
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            built = sqlite_insert(table).on_conflict_do_nothing(index_elements=[key])
        if returning:
            built = built.returning(table.c.id)
        _BUILT[(table.name, key, dialect, returning)] = built
    return built


async def insert_absent(
    session: DbSession, table: Table, key: str, values: dict[str, Any]
) -> int | None:
    """Insert ``values`` into ``table`` unless a row with the same ``key`` column
    exists; returns the new row's id, or None when nothing was inserted."""
    result = await session.execute(insert_statement(table, key, dialect_of(session)), values)
    new_id = result.scalar()
    return int(new_id) if new_id is not None else None
