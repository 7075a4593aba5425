"""The console on a fresh SQLite file at the suite's start time: most scenarios begin there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import START, database_url
from tests.console_harness import Console


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    c = await Console.open(database_url(tmp_path), START)
    yield c
    await c.close()
