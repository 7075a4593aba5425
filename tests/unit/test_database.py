"""The Database's sessions: SQLite's synchronous path and its turns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.store.db import Database, sync_sqlite_url
from bot.store.models import Person
from tests.conftest import database_url


async def _open(tmp_path: Path) -> Database:
    db = Database(database_url(tmp_path))
    await db.upgrade()
    return db


async def _people(db: Database) -> int:
    async with db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Person)) or 0)


def _person(name: str) -> Person:
    from datetime import datetime

    return Person(
        display_name=name,
        language="sv",
        timezone="Europe/Stockholm",
        created_at=datetime(2026, 1, 1),
    )


def test_sqlite_url_maps_to_the_stdlib_driver() -> None:
    assert sync_sqlite_url("sqlite+aiosqlite:////tmp/x.db") == "sqlite+pysqlite:////tmp/x.db"
    assert sync_sqlite_url("sqlite:///x.db") == "sqlite+pysqlite:///x.db"


async def test_commit_and_rollback(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:
        async with db.transaction() as s:
            s.add(_person("Anna"))
        with pytest.raises(ZeroDivisionError):
            async with db.transaction() as s:
                s.add(_person("Bea"))
                await s.flush()
                _ = 1 / 0
        assert await _people(db) == 1
    finally:
        await db.dispose()


async def test_a_read_session_may_open_inside_a_transaction(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:
        async with db.transaction() as s:
            s.add(_person("Anna"))
            await s.flush()
            assert await _people(db) == 0  # the other session does not see uncommitted rows
        assert await _people(db) == 1
    finally:
        await db.dispose()


async def test_a_nested_sqlite_transaction_fails_at_once_instead_of_hanging(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path)
    if not db.is_sqlite:
        pytest.skip("turns are how SQLite serialises writers; PostgreSQL locks rows")
    try:
        async with db.transaction():
            with pytest.raises(RuntimeError, match="inside another"):
                async with db.transaction():
                    pass
    finally:
        await db.dispose()


async def test_two_databases_on_one_file_take_turns_across_an_await(tmp_path: Path) -> None:
    """A transaction that awaits something real keeps its turn; the second
    worker's transaction waits on the loop (it would block the loop in
    SQLite's busy handler, and so deadlock, if they did not share turns)."""
    first, second = await _open(tmp_path), await _open(tmp_path)
    order: list[str] = []

    async def slow() -> None:
        async with first.transaction() as s:
            order.append("first begins")
            s.add(_person("Anna"))
            await s.flush()
            await asyncio.sleep(0.05)
            order.append("first commits")

    async def quick() -> None:
        await asyncio.sleep(0.01)
        async with second.transaction() as s:
            order.append("second begins")
            s.add(_person("Bea"))

    try:
        await asyncio.wait_for(asyncio.gather(slow(), quick()), timeout=20)
        assert await _people(first) == 2
        if first.is_sqlite:
            assert order == ["first begins", "first commits", "second begins"]
    finally:
        await first.dispose()
        await second.dispose()


@pytest.mark.parametrize(("level", "code"), [("FULL", 2), ("NORMAL", 1)])
async def test_sqlite_runs_with_the_configured_synchronous_and_secure_delete(
    tmp_path: Path, level: str, code: int
) -> None:
    """FULL (2) by default: a confirmed commit survives power loss; deleted bytes are
    zeroed (secure_delete) on the writing and the reading connections alike."""
    url = database_url(tmp_path)
    if not url.startswith("sqlite"):
        pytest.skip("SQLite pragmas")
    db = Database(url) if level == "FULL" else Database(url, synchronous=level)
    await db.upgrade()
    try:
        for engine in (db.sync_engine, db._read_engine):
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == code
                assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        await db.dispose()
    with pytest.raises(ValueError, match="synchronous"):
        Database(url, synchronous="SOMETIMES")
