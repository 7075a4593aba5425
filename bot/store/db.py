"""Database engine, sessions and migrations.

SQLite is the embedded default: WAL for concurrent readers, a busy timeout, and
``BEGIN IMMEDIATE`` for every transaction so that two events that read and then
write the same rows are serialised instead of failing on a lock upgrade.
PostgreSQL is used the same way through asyncpg.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def to_db(when: datetime) -> datetime:
    """Aware datetime -> naive UTC, the form stored in every time column."""
    if when.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware one")
    return when.astimezone(UTC).replace(tzinfo=None)


def from_db(when: datetime) -> datetime:
    """Naive UTC from the database -> aware UTC."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Database:
    """Owns the async engine and hands out one session per transaction."""

    def __init__(self, url: str):
        self.url = url
        kwargs: dict[str, Any] = {}
        if is_sqlite(url):
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 10
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if is_sqlite(url):
            _sqlite_pragmas(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def transaction(self, *, serializable: bool = False) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed on success, rolled back on any error.

        ``serializable`` asks PostgreSQL for SERIALIZABLE isolation, so that two
        events deciding on the same pair (both members accepting at once) cannot
        both miss each other; the engine retries a serialization failure.  On
        SQLite every transaction is already serial (BEGIN IMMEDIATE).
        """
        async with self.sessions() as session:
            if serializable and not self.is_sqlite:
                await session.connection(execution_options={"isolation_level": "SERIALIZABLE"})
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def upgrade(self) -> None:
        """Apply Alembic migrations up to head (idempotent).

        A database already at head is recognised with one query, so a normal
        start does not pay for importing and running Alembic.
        """
        if await self.revision() == head_revision():
            return
        async with self.engine.begin() as conn:
            await conn.run_sync(_run_upgrade)

    async def revision(self) -> str | None:
        """The database's Alembic revision, or None for a new database."""
        try:
            async with self.engine.connect() as conn:
                value = (
                    await conn.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
        except DBAPIError:
            return None
        return str(value) if value is not None else None

    async def dispose(self) -> None:
        await self.engine.dispose()


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

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _run_upgrade(sync_conn: Any) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


async def upgrade_url(url: str) -> None:
    """`mentorbot db upgrade`: migrate the database at ``url`` and close."""
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
