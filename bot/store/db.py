"""Database engine, sessions and migrations.

SQLite is the embedded default: WAL for concurrent readers, a busy timeout, and
``BEGIN IMMEDIATE`` for every transaction so that two events that read and then
write the same rows are serialised instead of failing on a lock upgrade.
PostgreSQL is used the same way through asyncpg.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from bot.store import postgres
from bot.store.driver_sql import DriverForm, driver_form
from bot.store.session import DbSession, KeepingSession, SyncBackedSession

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: shipped in the wheel next to the migrations (see pyproject's package-data)
ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"


class DatabaseUnavailable(Exception):
    """The configured database cannot be opened or written; one line, names the setting."""


def safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, cred = head.partition("//")
    return f"{scheme}//{cred.split(':', 1)[0]}:***@{tail}"


def _reason(exc: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's SQL echo and links."""
    inner = getattr(exc, "orig", None) or exc
    text = " ".join(str(inner).split()) or type(inner).__name__
    return text[:300]


def to_db(when: datetime) -> datetime:
    """Aware datetime -> naive UTC, the form stored in every time column."""
    if when.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware one")
    return when.astimezone(UTC).replace(tzinfo=None)


def from_db(when: datetime) -> datetime:
    """Naive UTC from the database -> aware UTC."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def compact_json(value: object) -> str:
    """JSON as SQLite stores it: letters as themselves (UTF-8, where the default
    ``\\uXXXX`` took six bytes for an å) and no spaces after separators.  Reading
    is unchanged: both forms are the same JSON (the scrub searches both)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


#: set in a SQLite connection's ``info`` while it runs one statement as a
#: transaction of its own (no BEGIN; see ``Database.bookkeep``)
ONE_STATEMENT = "one_statement"

#: values MENTORBOT_SQLITE_SYNCHRONOUS accepts, safest first
SYNCHRONOUS = ("EXTRA", "FULL", "NORMAL", "OFF")

#: set ``session.info[WIPE_WAL] = True`` inside a transaction to checkpoint the
#: WAL (TRUNCATE) right after it commits; erasure does, see ``Database.transaction``
WIPE_WAL = "wipe_wal"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Database:
    """Owns the engine and hands out one session per transaction.

    PostgreSQL is used through asyncpg.  SQLite is used synchronously through
    :class:`~bot.store.session.SyncBackedSession` (see there for why), and its
    transactions within this process take turns on an ``asyncio.Lock``:
    SQLite writes one transaction at a time anyway, and waiting on the lock
    keeps the event loop free where SQLite's own busy handler would block it.
    """

    def __init__(self, url: str, *, synchronous: str = "FULL"):
        self.url = url
        self.engine: AsyncEngine | None = None
        if is_sqlite(url):
            if synchronous not in SYNCHRONOUS:
                raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
            args = {"timeout": 30, "check_same_thread": False}
            self.sync_engine: Engine = create_engine(
                sync_sqlite_url(url), connect_args=args, json_serializer=compact_json
            )
            _sqlite_pragmas(self.sync_engine, begin="BEGIN IMMEDIATE", synchronous=synchronous)
            self._sync_sessions = sessionmaker(
                self.sync_engine, expire_on_commit=False, class_=KeepingSession
            )
            # Bookkeeping whose loss on power failure only repeats work (a
            # message marked sent) commits without waiting for the disk:
            # its own connections, synchronous=NORMAL (see ``transaction``).
            self._lazy_engine = create_engine(
                sync_sqlite_url(url), connect_args=args, json_serializer=compact_json
            )
            lazy = "NORMAL" if synchronous in ("EXTRA", "FULL") else synchronous
            _sqlite_pragmas(self._lazy_engine, begin="BEGIN IMMEDIATE", synchronous=lazy)
            self._lazy_sessions = sessionmaker(
                self._lazy_engine, expire_on_commit=False, class_=KeepingSession
            )
            #: the lazy engine's connection that :meth:`bookkeep` keeps (opened
            #: on first use): a sent mark per message needs no pool checkout
            self._bookkeeper: Connection | None = None
            #: bookkeeping statements as their compiled SQL (see bot.store.driver_sql)
            self._driver_forms: dict[Any, DriverForm | None] = {}
            # Reads begin deferred, need no turn and never wait for a writer (WAL).
            self._read_engine = create_engine(
                sync_sqlite_url(url), connect_args=args, json_serializer=compact_json
            )
            _sqlite_pragmas(self._read_engine, begin="BEGIN", synchronous=synchronous)
            self._read_sessions = sessionmaker(
                self._read_engine, expire_on_commit=False, class_=KeepingSession
            )
        else:
            # SQLAlchemy's asyncio extension only here: SQLite never uses it.
            from sqlalchemy.ext.asyncio import async_sessionmaker

            from bot.store.models import Base
            from bot.store.partial_index import add_postgresql_where

            add_postgresql_where(Base.metadata)
            # the events' engine, and bookkeeping's (synchronous_commit=off)
            self.engine, self._lazy_async = postgres.open_engines(url)
            self.sync_engine = self.engine.sync_engine
            from bot.store.pg_session import PgSession

            self._async_sessions = async_sessionmaker(
                self.engine,
                class_=PgSession,
                expire_on_commit=False,
                sync_session_class=KeepingSession,
            )
            self._lazy_engine = self._lazy_async.sync_engine
            self._lazy_async_sessions = async_sessionmaker(
                self._lazy_async, expire_on_commit=False, sync_session_class=KeepingSession
            )

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def sessions(self) -> AsyncIterator[DbSession]:
        """A session for reading (and for tests that look at the database).

        It may be opened while a transaction is open; on SQLite it does not
        take the transactions' turn.
        """
        if self.engine is not None:
            async with self._async_sessions() as session:
                yield session
            return
        with self._read_sessions() as sync:
            yield SyncBackedSession(sync)

    @asynccontextmanager
    async def _session(self, *, durable: bool = True) -> AsyncIterator[DbSession]:
        if self.engine is not None:
            sessions = self._async_sessions if durable else self._lazy_async_sessions
            async with sessions() as session:
                yield session
            return
        async with self._turn():
            with (self._sync_sessions if durable else self._lazy_sessions)() as sync:
                yield SyncBackedSession(sync)

    @asynccontextmanager
    async def transaction(
        self, *, serializable: bool = False, durable: bool = True
    ) -> AsyncIterator[DbSession]:
        """One unit of work: committed on success, rolled back on any error.

        ``serializable`` asks PostgreSQL for SERIALIZABLE isolation, so that two
        events deciding on the same pair (both members accepting at once) cannot
        both miss each other; the engine retries a serialization failure.  On
        SQLite every transaction is already serial (BEGIN IMMEDIATE).

        ``durable=False`` is for bookkeeping whose loss only repeats work, such
        as marking an outbox message sent: the commit survives the crash of
        this process (and so a ``kill -9``) but not a power loss, and does not
        wait for the disk (SQLite ``synchronous=NORMAL``, PostgreSQL
        ``synchronous_commit=off``).  A power loss can then resend a message;
        it never loses one.
        """
        async with self._session(durable=durable) as session:
            if serializable and not self.is_sqlite:
                await session.connection(execution_options={"isolation_level": "SERIALIZABLE"})
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            if session.info.pop(WIPE_WAL, False) and self.is_sqlite:
                self._checkpoint_truncate()

    async def bookkeep(self, statement: Any, params: list[dict[str, Any]]) -> None:
        """Run one prebuilt Core statement (once per ``params`` entry) in a short
        transaction of its own that does not wait for the disk, as
        ``transaction(durable=False)`` does, but on a bare connection: no ORM
        session to set up for what is one ``UPDATE`` (an outbox message marked
        sent, once per message).  On SQLite the connection is kept, and a
        single statement runs as a transaction of its own.  ``statement`` may
        be a list instead, one statement per ``params`` entry (a delivered
        edit deleted where a message is marked, in the same transaction)."""
        if isinstance(statement, list):
            steps = list(zip(statement, params, strict=True))
        else:
            steps = [(statement, one) for one in params]
        if self.engine is not None:
            await postgres.bookkeep(self._lazy_async, steps, one_statement=ONE_STATEMENT)
            return
        async with self._turn():
            if self._bookkeeper is None or self._bookkeeper.closed:
                self._bookkeeper = self._lazy_engine.connect()
            if len(params) == 1:
                # One statement outside BEGIN is a transaction of its own in
                # SQLite, committed when it completes: no BEGIN, no COMMIT to
                # run (SQLAlchemy's commit then finds none open, and only
                # tells its listeners).  The turn keeps this process's other
                # transactions out meanwhile, as for any transaction.
                info = self._bookkeeper.info
                info[ONE_STATEMENT] = True
                try:
                    self._run_bookkeeping(*steps[0])
                    self._bookkeeper.commit()
                except BaseException:
                    self._bookkeeper.rollback()
                    raise
                finally:
                    info.pop(ONE_STATEMENT, None)
                return
            with self._bookkeeper.begin():
                for step, one in steps:
                    self._run_bookkeeping(step, one)

    def _run_bookkeeping(self, statement: Any, params: dict[str, Any]) -> None:
        """One bookkeeping statement on the kept connection: as its compiled
        SQL text where it has one (half the Python of a Core execution, the
        same SQL and values), else as the Core statement."""
        assert self._bookkeeper is not None
        forms = self._driver_forms
        if statement in forms:
            form = forms[statement]
        else:
            form = driver_form(statement, self._lazy_engine.dialect)
            if len(forms) < 64:  # (prebuilt statements: a handful)
                forms[statement] = form
        if form is None:
            self._bookkeeper.execute(statement, params)
        else:
            self._bookkeeper.exec_driver_sql(form.sql, form.values(params))

    async def bookkeep_steps(self, steps: list[tuple[Any, dict[str, Any]]]) -> list[list[Any]]:
        """Like :meth:`bookkeep`, for several prebuilt Core statements in one
        such transaction (outbox messages marked sent together with the
        platform ids of the questions they carried); returns each statement's
        rows (``RETURNING``), an empty list for one that returns none."""
        if self.engine is not None:
            return await postgres.bookkeep_steps(self._lazy_async, steps)
        found: list[list[Any]] = []
        async with self._turn():
            if self._bookkeeper is None or self._bookkeeper.closed:
                self._bookkeeper = self._lazy_engine.connect()
            with self._bookkeeper.begin():
                for statement, params in steps:
                    result = self._bookkeeper.execute(statement, params)
                    found.append(list(result.all()) if result.returns_rows else [])
        return found

    def _checkpoint_truncate(self) -> bool:
        """Copy the WAL into the database file and cut the WAL to zero bytes, so
        that pages an erasure overwrote survive in neither file.  Runs after the
        commit, still in this process's turn; a reader elsewhere holding an old
        snapshot can keep it from completing (then it is tried a few times and
        the next checkpoint finishes the job).  True when the WAL is empty."""
        for _ in range(20):
            raw = self.sync_engine.raw_connection()
            try:
                cur = raw.cursor()
                busy, _log, _done = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                cur.close()
            finally:
                raw.close()
            if not busy:
                return True
            time.sleep(0.01)
        return False

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if _IN_SQLITE_SESSION.get():
            # The lock is not re-entrant: a nested session would wait for ever.
            raise RuntimeError("a SQLite session was opened inside another one")
        async with _turn_lock(self.url):
            token = _IN_SQLITE_SESSION.set(True)
            try:
                yield
            finally:
                _IN_SQLITE_SESSION.reset(token)

    async def upgrade(self) -> None:
        """Apply Alembic migrations up to head (idempotent).

        A database that cannot be opened or written (server down, wrong
        password, a directory that does not exist) raises
        :class:`DatabaseUnavailable` with one line naming the setting.
        """
        try:
            await self._upgrade()
        except (OSError, TimeoutError, DBAPIError) as exc:
            raise DatabaseUnavailable(
                f"MENTORBOT_DATABASE_URL: cannot open {safe_url(self.url)}: {_reason(exc)}"
            ) from exc

    async def _upgrade(self) -> None:
        # A database already at head is recognised with one query, so a normal
        # start does not pay for importing and running Alembic.
        if await self.revision() == head_revision():
            return
        if self.engine is not None:
            async with self.engine.begin() as conn:
                await conn.run_sync(_run_upgrade)
            return
        async with self._turn():
            with self.sync_engine.begin() as sync_conn:
                _run_upgrade(sync_conn)

    async def revision(self) -> str | None:
        """The database's Alembic revision, or None for a new database."""
        query = text("SELECT version_num FROM alembic_version")
        try:
            if self.engine is not None:
                async with self.engine.connect() as conn:
                    value = (await conn.execute(query)).scalar()
            else:
                async with self._turn():
                    with self.sync_engine.connect() as sync_conn:
                        value = sync_conn.execute(query).scalar()
        except DBAPIError:
            return None
        return str(value) if value is not None else None

    async def dispose(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
            await self._lazy_async.dispose()
        else:
            if self._bookkeeper is not None:
                self._bookkeeper.close()
                self._bookkeeper = None
            self.sync_engine.dispose()
            self._read_engine.dispose()
            self._lazy_engine.dispose()


#: per event loop, per SQLite file: whose turn it is to write
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


#: URL of an absolute path -> the file it names (``realpath`` asks the file
#: system; a relative path is looked up each time, it follows the directory)
_FILES: dict[str, str] = {}


def _turn_lock(url: str) -> asyncio.Lock:
    """The lock for the SQLite file behind ``url``, shared by every ``Database``
    on it in this process (tests open two cores on one file as two workers)."""
    key = _FILES.get(url)
    if key is None:
        path = url.split(":///", 1)[-1]
        key = os.path.realpath(path) if path and ":memory:" not in path else url
        if path.startswith("/"):
            _FILES[url] = key
    locks = _TURNS.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(key, asyncio.Lock())


#: set while this task holds a SQLite session (see ``Database._turn``)
_IN_SQLITE_SESSION: ContextVar[bool] = ContextVar("in_sqlite_session", default=False)


def sync_sqlite_url(url: str) -> str:
    """``sqlite+aiosqlite:///x.db`` (the configured form) -> the stdlib driver's URL."""
    return "sqlite+pysqlite" + url[url.index(":") :]


def head_revision() -> str:
    """The newest migration's revision id, read from the migration files
    (Alembic's own ScriptDirectory says the same; a test checks it)."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision: str = ['\"]([^'\"]+)['\"]", source, re.M)
        down = re.search(r"^down_revision: [^=]+= ['\"]?([^'\"\n]+)['\"]?", source, re.M)
        if rev:
            revisions[rev[1]] = down[1] if down and down[1] != "None" else None
    parents = {d for d in revisions.values() if d}
    heads = [r for r in revisions if r not in parents]
    if len(heads) != 1:
        raise RuntimeError(f"expected one migration head, found {heads}")
    return heads[0]


def alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.is_file() else Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _run_upgrade(sync_conn: Any) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")


def _sqlite_pragmas(engine: Engine, *, begin: str, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit reported to the person survives power loss (NORMAL in
        # WAL mode can lose the last commits); a setting may lower it.
        cur.execute(f"PRAGMA synchronous={synchronous}")
        # Deleted and overwritten content is zeroed in the file, not left in
        # free space where a copy of the file would still show it.
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.info.get(ONE_STATEMENT):
            conn.exec_driver_sql(begin)


async def upgrade_url(url: str, synchronous: str = "FULL") -> None:
    """`mentorbot db upgrade`: migrate the database at ``url`` and close."""
    db = Database(url, synchronous=synchronous)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
