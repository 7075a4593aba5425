"""Shared fixtures: a scenario harness on a temporary SQLite file."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.harness import Harness

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

START = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


def database_url(tmp_path: Path) -> str:
    """SQLite by default; a PostgreSQL URL when the suite runs on PostgreSQL."""
    return os.environ.get("MENTORBOT_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path}/t.db"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await Harness.open(tmp_path, START, db_url=database_url(tmp_path))
    yield harness
    await harness.close()
