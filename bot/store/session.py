"""An awaitable face over a synchronous SQLAlchemy session, for SQLite.

The flows are written against SQLAlchemy's ``AsyncSession`` API (``await
session.get(...)``), which PostgreSQL serves through asyncpg without threads.
On SQLite the async path costs far more than the database: aiosqlite runs
every cursor call in its own thread, and SQLAlchemy's adapter makes several
such calls per statement -- about fifty thread hand-offs for an ordinary
event, most of an event's time.  SQLite itself answers a primary-key read in
microseconds, so on SQLite the same flow code talks to a plain synchronous
``Session`` through this class instead: every method does its work at once
and returns, so an awaited call never suspends and no thread is involved.

:class:`bot.store.db.Database` serialises SQLite transactions of one process
with an ``asyncio.Lock``, so a transaction that does await something real (a
Discord channel being created) makes the next event wait on the loop instead
of blocking it in SQLite's busy handler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, TypeVarTuple, Union, cast, overload

from sqlalchemy import (
    Connection,
    CursorResult,
    Dialect,
    Executable,
    Result,
    ScalarResult,
    Select,
    bindparam,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import TypedReturnsRows

from bot.store import pg_direct
from bot.store.driver_sql import DriverForm, driver_form
from bot.store.orm_reads import KEPT as _KEPT
from bot.store.orm_reads import ORM_LISTENS, read_select, run_write

if TYPE_CHECKING:
    # SQLAlchemy's asyncio extension (and greenlet) only for PostgreSQL:
    # ``bot.store.db`` imports it when it opens one, a SQLite start never does.
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
_Ts = TypeVarTuple("_Ts")

__all__ = ["ORM_LISTENS"]  # (defined with the reads that honour it)


class KeepingSession(Session):
    """A session that holds every row it loaded or wrote until it closes.

    SQLAlchemy's identity map holds rows weakly: a programme, group or rhythm
    that a flow read and let go is dropped at once, and the next
    ``session.get`` of the same row a few calls later (another flow's hook in
    the same event) reads it again.  One session serves one transaction
    here, so holding the rows for its life costs little memory and turns
    those repeated reads into identity-map hits (SQLAlchemy's documented
    "strong reference" recipe), and the hold ends with the transaction.
    Rows are as fresh as before: a row still referenced somewhere was never
    re-read either.
    """


@event.listens_for(KeepingSession, "loaded_as_persistent")
@event.listens_for(KeepingSession, "pending_to_persistent")
def _keep(session: Session, instance: object) -> None:
    kept = session.info.get(_KEPT)
    if kept is None:
        session.info[_KEPT] = kept = []
    kept.append(instance)


@event.listens_for(KeepingSession, "after_transaction_end")
def _let_go(session: Session, transaction: Any) -> None:
    """A new transaction reads afresh what it does not hold itself."""
    if transaction.parent is None or transaction.nested:
        # (a savepoint's end too: it may have undone a change; not the end of
        # the inner transaction every flush opens, which undoes nothing)
        session.info.pop(SEATS_MEMO, None)
    if transaction.parent is None:
        session.info.pop(_KEPT, None)


#: ``session.info`` key of the groups' current seats read in this transaction
#: (see ``bot.store.groups.members_of``): dropped whenever anything may have
#: changed them -- a flush that writes seats or deletes rows whose deletion
#: the database cascades to seats (people, groups, programmes), the end of
#: any transaction or savepoint, and :func:`forget_seats`, which Core
#: statements that write seats and reads that take a row lock call (no
#: ``do_orm_execute`` listener: SQLAlchemy would then build an execute state
#: for every statement of every event).  (Otherwise the seats' people are the session's
#: own rows, whatever changes them: the read only joins them by id.)
SEATS_MEMO = "seats_memo"
#: tables whose flushed writes drop the memo, and those whose deletes do
_SEAT_TABLES = frozenset({"members"})
_CASCADING = frozenset({"members", "people", "groups", "programmes"})


@event.listens_for(KeepingSession, "before_flush")
def _seats_flushed(session: Session, context: Any, instances: Any) -> None:
    if SEATS_MEMO in session.info and seats_may_change(session):
        del session.info[SEATS_MEMO]


def _table_of(obj: object) -> str | None:
    return getattr(obj, "__tablename__", None)


def seats_may_change(session: Session) -> bool:
    """Does the session hold changes that touch seats (flushed before a read)?"""
    if any(_table_of(obj) in _CASCADING for obj in session.deleted):
        return True
    return any(
        _table_of(obj) in _SEAT_TABLES for objs in (session.new, session.dirty) for obj in objs
    )


def forget_seats(
    session: Session | SyncBackedSession | AsyncSession, *, locked: bool = False
) -> None:
    """Drop the seats read in this transaction: for a Core statement that
    writes seats (or deletes rows the database cascades to them), and, with
    ``locked``, after a read that took a row lock on PostgreSQL (it may have
    waited for another transaction, whose seats a new read would see; a
    SQLite transaction runs alone, BEGIN IMMEDIATE, so there it sees none)."""
    if locked and isinstance(session, SyncBackedSession):
        return  # (the sync-backed session is SQLite's)
    session.info.pop(SEATS_MEMO, None)


class SyncBackedSession:
    """The subset of ``AsyncSession`` the bot uses, answered by a sync ``Session``."""

    def __init__(self, sync_session: Session):
        self.sync_session = sync_session

    @property
    def info(self) -> dict[Any, Any]:
        """Per-transaction notes (e.g. "checkpoint the WAL after commit")."""
        return self.sync_session.info

    def expire_all(self) -> None:
        self.sync_session.expire_all()

    async def get(self, entity: type[T], ident: Any, **kw: Any) -> T | None:
        """``Session.get``; a row not yet in the session is read with a
        statement built once per entity (``Session.get`` builds a new one, and
        its cache key, on every miss).  The same SELECT, autoflush included."""
        if kw or isinstance(ident, dict):
            return self.sync_session.get(entity, ident, **kw)
        shape = _by_primary_key(entity)  # type: ignore[arg-type]  # a class is hashable
        values = ident if isinstance(ident, tuple) else (ident,)
        if shape is None or len(values) != shape[2]:
            return self.sync_session.get(entity, ident)
        stmt, keys, _, identity_class = shape
        held = self.sync_session.identity_map.get((identity_class, values, None))
        if held is not None:
            # what ``Session.get`` returns for a row the session holds (it
            # reloads one whose attributes were expired: it does that here)
            if instance_state(held).expired:
                return self.sync_session.get(entity, ident)
            return held  # type: ignore[no-any-return]
        if ORM_LISTENS in self.info:
            return self.sync_session.get(entity, ident)
        params = {f"pk{i}": value for i, value in enumerate(values)}
        sync = self.sync_session
        if sync.autoflush:  # (as ``get`` would)
            sync.flush()
            # a pending row with this key is persistent now: it is the answer
            held = sync.identity_map.get((identity_class, values, None))
            if held is not None:
                return held  # type: ignore[no-any-return]
        row = sync.connection().execute(stmt, params).first()
        return adopt(self, entity, keys, row) if row is not None else None

    @overload
    async def execute(
        self, statement: TypedReturnsRows[*_Ts], params: Any = None, **kw: Any
    ) -> Result[*_Ts]: ...

    @overload
    async def execute(
        self, statement: Executable, params: Any = None, **kw: Any
    ) -> Result[*tuple[Any, ...]]: ...

    async def execute(
        self, statement: Executable, params: Any = None, **kw: Any
    ) -> Result[*tuple[Any, ...]]:
        if not kw:
            if type(statement) is Select:
                found = read_select(self.sync_session, statement, params)
            elif isinstance(statement, UpdateBase):
                found = run_write(self.sync_session, statement, params)
            else:
                found = None
            if found is not None:
                return found
        return self.sync_session.execute(statement, params, **kw)

    async def scalars(
        self, statement: Executable, params: Any = None, **kw: Any
    ) -> ScalarResult[Any]:
        if not kw and type(statement) is Select:
            found = read_select(self.sync_session, statement, params)
            if found is not None:
                return found.scalars()
        return self.sync_session.scalars(statement, params, **kw)

    async def scalar(self, statement: Executable, params: Any = None, **kw: Any) -> Any:
        if not kw and type(statement) is Select:
            found = read_select(self.sync_session, statement, params)
            if found is not None:
                return found.scalar()
        return self.sync_session.scalar(statement, params, **kw)

    def add(self, instance: object) -> None:
        self.sync_session.add(instance)

    def add_all(self, instances: Sequence[object]) -> None:
        self.sync_session.add_all(instances)

    async def flush(self) -> None:
        self.sync_session.flush()

    async def delete(self, instance: object) -> None:
        self.sync_session.delete(instance)

    async def commit(self) -> None:
        self.sync_session.commit()

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        """A savepoint, as ``async with AsyncSession.begin_nested()``: rolled
        back alone when its block raises, the transaction goes on."""
        with self.sync_session.begin_nested():
            yield

    async def rollback(self) -> None:
        self.sync_session.rollback()

    async def connection(self, **kw: Any) -> Connection:
        return self.sync_session.connection(**kw)

    def run_core(self, statement: Executable, params: Any) -> CursorResult[Any]:
        """See :func:`run_core`: as its compiled SQL text where it has one."""
        sync = self.sync_session
        if ORM_LISTENS in sync.info:
            return cast("CursorResult[Any]", sync.execute(statement, params))
        if sync.autoflush:  # (as ``execute`` would: a no-op when nothing is pending)
            sync.flush()
        conn = sync.connection()
        form = _driver_form(statement, conn.dialect)
        if form is None:
            return cast("CursorResult[Any]", conn.execute(statement, params))
        if isinstance(params, list):
            return conn.exec_driver_sql(form.sql, [form.values(one) for one in params])
        return conn.exec_driver_sql(form.sql, form.values(params))

    async def close(self) -> None:
        self.sync_session.close()


#: prebuilt statements -> their compiled SQL text for SQLite (or None: run as Core)
_DRIVER_FORMS: dict[Any, DriverForm | None] = {}


def _driver_form(statement: Executable, dialect: Dialect) -> DriverForm | None:
    if statement in _DRIVER_FORMS:
        return _DRIVER_FORMS[statement]
    # (rows a statement returns are read through Core, which converts them)
    form = None if getattr(statement, "_returning", ()) else driver_form(statement, dialect)
    if len(_DRIVER_FORMS) < 256:  # (prebuilt statements: a few dozen)
        _DRIVER_FORMS[statement] = form
    return form


async def run_core(session: DbSession, statement: Executable, params: Any) -> CursorResult[Any]:
    """Run a prebuilt Core statement (an ``UPDATE``, ``INSERT`` or ``DELETE``)
    on the session's connection, around the ORM.

    ``session.execute`` hands even a plain Core statement to the ORM, which
    builds an execute state, flushes pending changes and sets up its own
    result for it -- several times the Python of the statement itself, on
    every live-question mark and dialog save of every event.  Pending
    changes are flushed first, as ``execute`` does (autoflush), so the
    statement sees them; nothing loaded is synchronised with what it writes
    (neither does ``execute`` for a Core statement on a table: the caller
    keeps its copies up to date).  On SQLite the statement runs as its compiled SQL text (see
    :mod:`bot.store.driver_sql`) unless it returns rows (``RETURNING``,
    read through Core): ``rowcount`` and :func:`inserted_id` are as usual.
    The same SQL, the same values, through the same connection and its
    events."""
    if isinstance(session, SyncBackedSession):
        return session.run_core(statement, params)
    if ORM_LISTENS not in session.info:  # PostgreSQL: on asyncpg itself where it can
        direct = await pg_direct.execute(session, statement, params)
        if direct is not None:
            return cast("CursorResult[Any]", direct)
    # (else in one hop into the sync session, as ``execute`` makes;
    # asyncpg's results are read in full, so they are read after it)
    return await session.run_sync(_run_core_sync, statement, params)


def _run_core_sync(sync: Session, statement: Executable, params: Any) -> CursorResult[Any]:
    if sync.autoflush:  # (as ``execute`` would: a no-op when nothing is pending)
        sync.flush()
    return cast("CursorResult[Any]", sync.connection().execute(statement, params))


def inserted_id(result: CursorResult[Any]) -> int:
    """The new row's id after :func:`run_core` ran a one-row ``INSERT``."""
    if result.context.compiled is None:  # (run as SQL text: SQLite's rowid)
        return int(result.lastrowid)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


@cache
def _by_primary_key(entity: type[Any]) -> tuple[Select[Any], list[str], int, type[Any]] | None:
    """``SELECT <columns> WHERE pk = :pk0 [AND ...]`` as a Core statement, built
    once per entity, the attribute each column loads (see :func:`adopt`), the
    number of key columns and the class identity keys name."""
    mapper = inspect(entity)
    if mapper.inherits is not None or mapper.polymorphic_on is not None:
        return None
    table = mapper.local_table
    keys = [mapper.get_property_by_column(col).key for col in table.c]
    where = [col == bindparam(f"pk{i}") for i, col in enumerate(mapper.primary_key)]
    stmt = select(*table.c).where(*where)
    return stmt, keys, len(mapper.primary_key), mapper._identity_class


def adopt(session: DbSession | Session, cls: type[T], keys: list[str], values: Sequence[Any]) -> T:
    """A row read through Core (``values``, one per attribute in ``keys``), as
    the session holds one it loaded: persistent, unchanged, kept for the
    transaction like every loaded row (see :class:`KeepingSession`).

    The ORM's loading of a row runs its row processors and events for each
    entity of each row, several times the Python of the Core read; this is
    what ``make_transient_to_detached`` and ``add`` do for an instance whose
    every column is set and that was never changed (so there is nothing to
    reset): it gets its identity key and joins the session."""
    mapper = cls.__mapper__  # type: ignore[attr-defined]
    spots = _pk_positions(mapper, tuple(keys))
    pk = (values[spots[0]],) if len(spots) == 1 else tuple([values[i] for i in spots])
    key = (mapper._identity_class, pk, None)
    sync: Session = getattr(session, "sync_session", session)  # type: ignore[arg-type]
    identity_map = sync.identity_map
    held = identity_map.get(key)
    if held is not None:  # (as a load gives the row the session holds)
        return held  # type: ignore[no-any-return]
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(zip(keys, values, strict=True))
    _join(sync, obj, key)
    return obj  # type: ignore[no-any-return]


def _join(sync: Session, obj: object, key: tuple[Any, ...]) -> None:
    """What the ORM's loading does for a new row: identity, session, identity
    map (``Session.add`` of a detached row would also run its cascades and
    attach events, for nothing: the classes have no relationships)."""
    state = instance_state(obj)
    state.key = key
    state.identity_token = None
    state.session_id = sync.hash_key
    sync.identity_map._add_unpresent(state, key)  # type: ignore[attr-defined]
    kept = sync.info.get(_KEPT)
    if kept is None:
        sync.info[_KEPT] = kept = []
    kept.append(obj)


def hold_written(session: DbSession, cls: type[T], values: dict[str, Any]) -> T:
    """A row just written through Core (``values``: every column, its key
    included), held by the session as if it had been loaded: persistent,
    unchanged, kept for the transaction.  The row is built as a load builds
    it (no ``__init__``, whose instrumented attribute sets cost more than
    the rest); the session must not hold the row already."""
    mapper = cls.__mapper__  # type: ignore[attr-defined]
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    pk = tuple(values[prop.key] for prop in _pk_props(mapper))
    sync: Session = getattr(session, "sync_session", session)  # type: ignore[arg-type]
    _join(sync, obj, (mapper._identity_class, pk, None))
    return obj  # type: ignore[no-any-return]


def detached_copy(cls: type[T], values: dict[str, Any]) -> T:
    """A row's copy that no session tracks (e.g. an outbox row as written, for
    the delivery right after the commit), built as a load builds a row."""
    obj = cls.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    obj.__dict__.update(values)
    return obj  # type: ignore[no-any-return]


@cache
def _pk_props(mapper: Any) -> tuple[Any, ...]:
    return tuple(mapper.get_property_by_column(col) for col in mapper.primary_key)


@cache
def _pk_positions(mapper: Any, keys: tuple[str, ...]) -> tuple[int, ...]:
    """Where a table's primary key columns sit among its attributes, in key order."""
    return tuple(keys.index(mapper.get_property_by_column(col).key) for col in mapper.primary_key)


#: What flows, jobs and reports are handed: the real async session on
#: PostgreSQL, the sync-backed one on SQLite.  Both are used the same way.
#: (``Union`` with the name: the asyncio extension is not imported at run time.)
DbSession: TypeAlias = Union["AsyncSession", SyncBackedSession]
