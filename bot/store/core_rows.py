"""ORM reads of whole rows, made as plain Core reads and adopted.

An ORM ``SELECT`` of entities (``select(Group, Member)``) costs several
times the Python of the statement itself: SQLAlchemy builds an ORM execute
state and runs its row loaders for each entity of each row.  The reads the
flows make in most presses (a group with the actor's seat, the seats with
their people, an agreement with its group, programme and rhythm) are made here as the
same SQL through Core instead, and their rows are turned into the session's
objects by :func:`bot.store.session.adopt` -- or, for a row the session holds
already, its own copy is returned, as an ORM load returns it (unchanged).

For a few rows per read this is cheaper; for reads of many rows of one
entity (a batch of jobs read ahead) it is not -- ``adopt`` adds each object
to the session on its own, where the ORM's loading shares its work across
the rows -- so those stay ORM reads (measured on the check-in batch).

Only on SQLite's sync-backed session, and only while nothing listens to the
ORM's loads (``ORM_LISTENS``); elsewhere the ORM statement runs as before.
A read flushes first, as the ORM's autoflush would.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table

from bot.store.session import ORM_LISTENS, DbSession, SyncBackedSession, adopt

T = TypeVar("T")


@cache
def columns_of(cls: type[Any]) -> tuple[Table, list[str], tuple[int, ...]]:
    """A mapped class's table, the attribute each of its columns loads, and
    where its primary key columns sit among them."""
    table = cls.__table__
    mapper = cls.__mapper__
    keys = [mapper.get_property_by_column(col).key for col in table.c]
    pk = tuple(keys.index(mapper.get_property_by_column(col).key) for col in mapper.primary_key)
    return table, keys, pk


def core_reads(session: DbSession) -> bool:
    """Whether reads may go through Core and :func:`adopt` (see the module)."""
    return isinstance(session, SyncBackedSession) and ORM_LISTENS not in session.info


def held_or_adopted(session: DbSession, cls: type[T], values: Sequence[Any]) -> T | None:
    """The session's own copy of a row when it holds one, else the row adopted
    as loaded; None for the empty side of an outer join (no primary key)."""
    _, keys, pk_at = columns_of(cls)  # type: ignore[arg-type]  # a class is hashable
    pk = tuple(values[i] for i in pk_at)
    if pk[0] is None:
        return None
    mapper = cls.__mapper__  # type: ignore[attr-defined]
    held = session.sync_session.identity_map.get(mapper.identity_key_from_primary_key(pk))
    if held is not None:
        return cast("T", held)
    return adopt(session, cls, keys, values)


@cache
def _plain(stmt: Any, parts: tuple[Any, ...]) -> tuple[Select[Any], tuple[Any, ...]]:
    """``stmt`` (its FROM, joins, WHERE and ORDER BY) with every entity of
    ``parts`` as its table's columns, and where each part's values sit."""
    columns: list[Any] = []
    shape: list[tuple[Any, int, int]] = []
    for part in parts:
        if isinstance(part, type):
            table, keys, _ = columns_of(part)
            shape.append((part, len(columns), len(columns) + len(keys)))
            columns.extend(table.c)
        else:
            shape.append((None, len(columns), len(columns) + 1))
            columns.append(part)
    return stmt.with_only_columns(*columns, maintain_column_froms=False), tuple(shape)


def read_rows(
    session: DbSession, stmt: Any, parts: tuple[Any, ...], params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of ``stmt``, whose selected parts are ``parts`` (mapped classes,
    each loaded as its object, or column expressions, as their values), read
    through Core.  Only where :func:`core_reads` allows it."""
    plain, shape = _plain(stmt, parts)
    sync = session.sync_session
    if sync.autoflush:  # (as the ORM's read would)
        sync.flush()
    out = []
    for row in sync.connection().execute(plain, params).all():
        out.append(
            tuple(
                held_or_adopted(session, cls, row[start:end]) if cls is not None else row[start]
                for cls, start, end in shape
            )
        )
    return out


async def entity_rows(
    session: DbSession, stmt: Any, parts: tuple[Any, ...], params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of an ORM ``stmt`` selecting ``parts``: through Core where it
    may (see the module), else as the ORM reads them."""
    if core_reads(session):
        return read_rows(session, stmt, parts, params)
    return [tuple(row) for row in (await session.execute(stmt, params)).all()]


async def get(session: DbSession, cls: type[T], ident: Any) -> T | None:
    """``session.get`` for a one-column primary key, answered straight from
    the identity map when the session holds the row (a batch's jobs look up
    the groups and programmes the batch read ahead: ``Session.get`` costs
    several times the lookup even then)."""
    held = session.sync_session.identity_map.get(
        cls.__mapper__.identity_key_from_primary_key((ident,))  # type: ignore[attr-defined]
    )
    if held is not None:
        return cast("T", held)
    return await session.get(cls, ident)
