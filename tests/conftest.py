"""Shared fixtures: a scenario harness on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.harness import Harness

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

START = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


_CREATED: list[str] = []


def database_url(tmp_path: Path) -> str:
    """SQLite by default; with MENTORBOT_TEST_DATABASE_URL set (a PostgreSQL
    server), a fresh database per test, created on first use and dropped at the end."""
    server = os.environ.get("MENTORBOT_TEST_DATABASE_URL")
    if not server:
        return f"sqlite+aiosqlite:///{tmp_path}/t.db"
    name = "t_" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:16]
    if name not in _CREATED:
        _admin(server, f'CREATE DATABASE "{name}"')
        _CREATED.append(name)
    return server.rsplit("/", 1)[0] + "/" + name


def _admin(server: str, statement: str) -> None:
    """Run one statement on the server's maintenance database (outside any loop)."""
    import asyncpg

    dsn = server.replace("postgresql+asyncpg://", "postgresql://")

    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    server = os.environ.get("MENTORBOT_TEST_DATABASE_URL")
    for name in _CREATED if server else []:
        with contextlib.suppress(Exception):
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await Harness.open(tmp_path, START, db_url=database_url(tmp_path))
    yield harness
    await harness.close()
