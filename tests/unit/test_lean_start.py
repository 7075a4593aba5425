"""What ``mentorbot run`` imports before it is ready: only what the start needs.

Start-up time is measured in ``bench/`` (never asserted); these tests keep the
heavy libraries the ready path does not use from creeping back onto it.
"""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from bot.store.db import Database
from bot.store.models import Base

# What `python -m bot run` imports up to `mentorbot: ready` with a Telegram
# token in long-polling mode (bot/cli.py's main, build_parser and _serve).
_RUN_PATH = """
import json, sys
import bot.cli
bot.cli.build_parser()
import bot.app, bot.core.startup, bot.store.db, bot.store.inbox
import adapters.telegram.runner
print(json.dumps(sorted(sys.modules)))
"""

#: each is needed only off the polling start: webhook mode (aiohttp), a
#: PostgreSQL database, a migration to run, or a date to parse
NOT_AT_START = ("aiohttp", "sqlalchemy.dialects.postgresql", "alembic", "dateparser")

PARTIAL = {
    "ix_jobs_due": "WHERE done_at IS NULL",
    "ix_outbox_pending": "WHERE sent_at IS NULL AND failed_at IS NULL",
    "ix_inbox_pending": "WHERE handled_at IS NULL",
}


def _indexes() -> dict[str, object]:
    return {
        index.name: index
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if index.name in PARTIAL
    }


def test_the_polling_start_leaves_the_heavy_optional_libraries_unimported() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _RUN_PATH], capture_output=True, text=True, check=True
    ).stdout
    modules = json.loads(out)
    assert "telegram.ext" in modules and "sqlalchemy.orm" in modules  # the path was walked
    loaded = [m for m in modules if any(m == n or m.startswith(f"{n}.") for n in NOT_AT_START)]
    assert loaded == []


def test_partial_indexes_keep_their_where_on_both_dialects() -> None:
    indexes = _indexes()
    assert sorted(indexes) == sorted(PARTIAL)
    for name, where in PARTIAL.items():
        ddl = str(CreateIndex(indexes[name]).compile(dialect=sqlite.dialect()))  # type: ignore[arg-type]
        assert ddl.endswith(where), ddl
    # A PostgreSQL database (the engine connects lazily: no server needed)
    # hands the same conditions to PostgreSQL's DDL.
    Database("postgresql+asyncpg://mentorbot:secret@127.0.0.1:9/none")
    for name, where in PARTIAL.items():
        ddl = str(CreateIndex(indexes[name]).compile(dialect=postgresql.dialect()))  # type: ignore[arg-type]
        assert ddl.endswith(where), ddl
