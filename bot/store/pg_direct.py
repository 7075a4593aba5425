"""Prebuilt Core statements run on PostgreSQL on the transaction's asyncpg
connection itself, around SQLAlchemy's per-statement machinery.

On PostgreSQL every statement of the async session goes from the event
loop into a greenlet, through the ORM or Core's execution (compiled cache
lookup, parameter construction, execution context, cursor and result set-up)
and SQLAlchemy's adapter over asyncpg, and back: about 270 microseconds of
Python for a primary-key statement that asyncpg alone sends and reads in
about 100.  The core's hottest statements are prebuilt and fixed (the
sender's read, live-question marks, dialog saves, inbox marks, outbox rows),
so each is compiled here once, for the engine's dialect and the parameter
names it is given (as ``Connection.execute`` compiles it), into its SQL
text, the order and conversion of its parameters (the types' bind
processors) and of the columns it returns (their result processors), and
then run as the adapter runs it: on the connection of the session's current
transaction (BEGIN first if the adapter has not sent it yet), under the
adapter's lock, with the adapter's cache of prepared statements.  The same
SQL, the same stored and returned values, in the same transaction (row locks
and all); an error comes out as the same ``sqlalchemy.exc`` error.  Pending
ORM changes are flushed first, as ``execute`` does; ``before_cursor_execute``
and ``after_cursor_execute`` listeners (statement counters) still see each
statement.

Not run here (the caller runs them through SQLAlchemy as before): a batch of
rows (``executemany``), parameters that expand (``IN``), Python-side column
defaults; and the callers run none here while something listens on the
ORM's statements (:data:`bot.store.session.ORM_LISTENS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc

from bot.store.driver_sql import DriverForm, driver_form

if TYPE_CHECKING:
    from sqlalchemy import Connection, Dialect
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.sql.compiler import Compiled

#: ``session.info`` key: this transaction's SQLAlchemy connection and the
#: asyncpg adapter under it
_CONNECTION = "pg_direct_connection"

_STATUS = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


class PgForm:
    """One statement for one set of parameter names: its SQL, parameters,
    and (after its first run) the conversion of the columns it returns."""

    __slots__ = ("compiled", "driver", "pk_at", "processors")

    def __init__(self, driver: DriverForm, compiled: Compiled):
        self.driver = driver
        self.compiled = compiled
        #: result processors per returned column (None: as asyncpg returns it)
        self.processors: list[Callable[[Any], Any] | None] | None = None
        #: where an INSERT's returned row holds the table's primary key
        self.pk_at: list[int] | None = None

    def prepare_results(self, dialect: Dialect, attributes: Sequence[Any]) -> None:
        """The returned columns' result processors, as the cursor's
        description (asyncpg's column type oids) gives them to SQLAlchemy."""
        columns = getattr(self.compiled, "_result_columns", [])
        processors: list[Callable[[Any], Any] | None] = []
        for i, attr in enumerate(attributes):
            if i < len(columns):
                impl = columns[i][3].dialect_impl(dialect)
                processors.append(impl.result_processor(dialect, attr.type.oid))
            else:
                processors.append(None)
        names = [attr.name for attr in attributes]
        table = getattr(self.compiled.statement, "table", None)
        if getattr(self.compiled, "isinsert", False) and table is not None:
            keys = [col.name for col in table.primary_key]
            if all(name in names for name in keys):
                self.pk_at = [names.index(name) for name in keys]
        self.processors = processors

    def convert(self, records: Sequence[Any]) -> list[tuple[Any, ...]]:
        processors = self.processors
        assert processors is not None
        if not any(processors):
            return [tuple(record) for record in records]
        return [
            tuple(
                value if p is None else p(value)
                for p, value in zip(processors, record, strict=True)
            )
            for record in records
        ]


class _Context:
    """What :func:`bot.store.session.inserted_id` asks a result for."""

    __slots__ = ("compiled",)

    def __init__(self, compiled: Compiled):
        self.compiled = compiled


class _Scalars:
    __slots__ = ("_values",)

    def __init__(self, values: list[Any]):
        self._values = values

    def all(self) -> list[Any]:
        return self._values

    def first(self) -> Any:
        return self._values[0] if self._values else None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)


class DirectResult:
    """The part of ``CursorResult`` the callers of ``run_core`` read."""

    __slots__ = ("_rows", "context", "inserted_primary_key", "rowcount")

    def __init__(self, form: PgForm, rows: list[tuple[Any, ...]], rowcount: int):
        self._rows = rows
        self.rowcount = rowcount
        self.context = _Context(form.compiled)
        pk_at = form.pk_at
        self.inserted_primary_key = (
            tuple(rows[0][i] for i in pk_at) if pk_at is not None and rows else None
        )

    @property
    def returns_rows(self) -> bool:
        return bool(getattr(self.context.compiled, "returning", None)) or bool(self._rows)

    def all(self) -> list[tuple[Any, ...]]:
        return self._rows

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> _Scalars:
        return _Scalars([row[0] for row in self._rows])


#: (statement, its parameters' names, dialect) -> its form (None: run through
#: SQLAlchemy).  The dialect is part of the key: it carries the bind
#: processors (a JSON serializer) the form was built with.
_FORMS: dict[tuple[Any, tuple[str, ...], Any], PgForm | None] = {}


def _form(statement: Any, names: tuple[str, ...], dialect: Dialect) -> PgForm | None:
    key = (statement, names, dialect)
    if key in _FORMS:
        return _FORMS[key]
    form = None
    driver = driver_form(statement, dialect, list(names))
    if driver is not None:
        form = PgForm(driver, statement.compile(dialect=dialect, column_keys=list(names)))
    if len(_FORMS) >= 1024:  # (a few dozen prebuilt statements per engine: many
        _FORMS.clear()  # engines opened one after another, as tests do)
    _FORMS[key] = form
    return form


async def _connection(session: AsyncSession) -> tuple[Connection, Any]:
    """The session's connection in its current (innermost) transaction and
    its asyncpg adapter.  Asked of the session once per transaction and
    savepoint: ``session.connection()`` is what emits a savepoint's
    ``SAVEPOINT`` (SQLAlchemy does it when the nested transaction first
    uses the connection), so a statement run here after ``begin_nested``
    is undone by its rollback."""
    current = session.sync_session._transaction
    held = session.info.get(_CONNECTION)
    if held is not None and held[2] is current and not held[0].closed:
        return held[0], held[1]
    conn = (await session.connection()).sync_connection
    assert conn is not None
    adapted = conn.connection.dbapi_connection
    session.info[_CONNECTION] = (conn, adapted, session.sync_session._transaction)
    return conn, adapted


async def execute(session: AsyncSession, statement: Any, params: Any) -> DirectResult | None:
    """Run ``statement`` with ``params`` (one dict) on the transaction's
    asyncpg connection; None where it is not run here (see the module)."""
    if not isinstance(params, dict):
        return None
    sync = session.sync_session
    if sync.autoflush and not sync._is_clean():
        await session.flush()  # (as ``execute`` would)
    conn, adapted = await _connection(session)
    dialect = conn.dialect
    form = _form(statement, tuple(sorted(params)), dialect)
    if form is None:
        return None
    sql, values = form.driver.sql, form.driver.values(params)
    events = conn._has_events or conn.engine._has_events
    if events:
        conn.dispatch.before_cursor_execute(conn, None, sql, values, None, False)
    async with adapted._execute_mutex:
        try:
            if adapted._transaction is None:
                await adapted._start_transaction()
            prepared, attributes = await adapted._prepare(
                sql,
                dialect._invalidate_schema_cache_asof,  # type: ignore[attr-defined]
            )
            records = await prepared.fetch(*values)
            status = prepared.get_statusmsg()
        except Exception as error:
            _raise(adapted, dialect, sql, values, error)
    if form.processors is None:
        form.prepare_results(dialect, attributes or ())
    found = _STATUS.match(status or "")
    result = DirectResult(form, form.convert(records), int(found.group(1)) if found else -1)
    if events:
        conn.dispatch.after_cursor_execute(conn, None, sql, values, None, False)
    return result


def _raise(adapted: Any, dialect: Dialect, sql: str, values: Any, error: Exception) -> None:
    """``error`` as SQLAlchemy raises it: the adapter's DBAPI error wrapped
    in its ``sqlalchemy.exc`` class (``IntegrityError`` and so on)."""
    if isinstance(error, exc.SQLAlchemyError):
        raise error
    try:
        adapted._handle_exception(error)
    except Exception as dbapi_error:
        dbapi = dialect.loaded_dbapi
        if not isinstance(dbapi_error, dbapi.Error):
            raise
        raise exc.DBAPIError.instance(
            sql, values, dbapi_error, dbapi.Error, dialect=dialect
        ) from error
    raise error  # (not reached: the adapter raises)
