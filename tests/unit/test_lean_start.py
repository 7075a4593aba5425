"""What ``mentorbot run`` imports before it is ready: only what the start needs.

Start-up time is measured in ``bench/`` (never asserted); these tests keep the
heavy libraries the ready path does not use from creeping back onto it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from bot.store.db import Database
from bot.store.models import Base

# What `python -m bot run` imports up to `mentorbot: ready` with a Telegram
# token in long-polling mode (bot/cli.py's main, build_parser and _serve).
_RUN_PATH = """
import json, sys
import bot.cli
bot.cli.build_parser(organiser=not bot.cli._only_runs(["run"]))
import bot.app, bot.core.startup, bot.store.db, bot.store.inbox
import adapters.telegram.runner
print(json.dumps(sorted(sys.modules)))
"""

#: each is needed only off the polling start: webhook mode (aiohttp), a
#: PostgreSQL database, a migration to run, or a date to parse; and one the
#: settings no longer use at all (pydantic-settings)
NOT_AT_START = (
    "aiohttp",
    "sqlalchemy.dialects.postgresql",
    "alembic",
    "dateparser",
    # the date grammars: the flows import them on first use (or the warm-up after ready)
    "bot.time.parsing",
    "bot.time.parse_base",
    "pydantic_settings",
    # SQLAlchemy's asyncio extension: PostgreSQL's only (SQLite runs synchronously)
    "sqlalchemy.ext.asyncio",
    # PTB's own webhook server (ours is aiohttp's): installed, but not imported
    "tornado",
    # the organiser's commands: `mentorbot run` parses its words without them
    "bot.matching.cli",
    "bot.organiser.report_cli",
    "bot.organiser.roster_cli",
    "bot.demo",
    # the flows, and what only they import: built on first use or in the
    # warm-up after ready (bot.flows.catalogue.LazyFlows)
    "bot.flows.basics",
    "bot.flows.onboarding",
    "bot.flows.agreement",
    "bot.matching",
    "bot.organiser",
    # the settings convert plain values themselves; the content's banks are
    # validated with pydantic at a load that checks them
    "pydantic",
)

# The start itself, short of the network: settings, content, the database
# (created and migrated by the first run, only checked by the next), the core
# and PTB's Application.
_OPEN_PATH = """
import asyncio, json, sys
import bot.cli
bot.cli.build_parser(organiser=not bot.cli._only_runs(["run"]))
from adapters.telegram.runner import build_application
from bot.app import Core
from bot.config import load_settings

async def main():
    settings = load_settings()
    core = await Core.open(settings)
    build_application(core, settings)
    await core.close()

asyncio.run(main())
print(json.dumps(sorted(sys.modules)))
"""

#: what a start over an up-to-date database and unchanged content (the
#: parsed-content cache holds every file) leaves unimported as well
NOT_ON_A_WARM_START = (*NOT_AT_START, "yaml", "bot.content_banks")

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


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names)]


def test_a_warm_start_parses_no_yaml_and_runs_no_migration(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "MENTORBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/start.db",
        "MENTORBOT_TELEGRAM_TOKEN": "123:abc",
    }
    env.pop("CACHE_DIRECTORY", None)
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", _OPEN_PATH],
                capture_output=True,
                text=True,
                check=True,
                env=env,
                cwd=tmp_path,
            ).stdout
        )
        for _ in range(2)
    ]
    first, warm = runs
    assert "bot.flows.catalogue" in warm and "telegram.ext" in warm  # the path was walked
    assert "yaml" in first and "alembic" in first  # parsed and migrated the first time
    assert _loaded(warm, NOT_ON_A_WARM_START) == []


def test_only_a_plain_run_parses_without_the_organiser_commands() -> None:
    import bot.cli

    for words in ([], ["run"], ["-v", "run"], ["run", "--verbose"]):
        assert bot.cli._only_runs(words), words
    for words in (["run", "--help"], ["-h"], ["roster", "list"], ["console"], ["rn"]):
        assert not bot.cli._only_runs(words), words
    lean = bot.cli.build_parser(organiser=False).parse_args(["-v", "run"])
    assert lean.handler is bot.cli.cmd_run and lean.verbose


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


# The command line as the console script runs it: which pydantic plugins it
# looked for, and whether python-dotenv was imported, after a command that
# builds pydantic models and checks the settings' names.
_MAIN = """
import json, os, sys
sys.argv = ["mentorbot", "content", "check"]
import bot.__main__
code = bot.__main__.main()
from pydantic.plugin import _loader
print(json.dumps([code, _loader._plugins is not None, "dotenv" in sys.modules,
                  os.environ.get("PYDANTIC_DISABLE_PLUGINS")]))
"""


def _main(tmp_path: Path, **env: str) -> list[object]:
    base = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    out = subprocess.run(
        [sys.executable, "-c", _MAIN],
        capture_output=True,
        text=True,
        check=True,
        env={**base, **env},
        cwd=tmp_path,
    ).stdout
    return list(json.loads(out.strip().splitlines()[-1]))


def test_the_command_skips_pydantics_plugin_scan_unless_the_person_set_it(tmp_path: Path) -> None:
    # unset: the documented switch is set for this process, no scan happens
    assert _main(tmp_path) == [0, False, False, "__all__"]
    # set by the person (empty: plugins on), it is left as it is and pydantic scans
    assert _main(tmp_path, PYDANTIC_DISABLE_PLUGINS="") == [0, True, False, ""]


def test_python_dotenv_is_imported_only_for_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MENTORBOT_TELEGRAM_TOKN=123:abc\n")
    code, _, dotenv_loaded, _ = _main(tmp_path)
    assert code == 0 and dotenv_loaded is True
