"""``mentorbot db backup PATH``: a consistent copy of the database while the bot runs.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies page by
page and restarts when a writer changes a page, so the copy is consistent
even while workers write.  PostgreSQL: ``pg_dump`` (custom format) when it is
installed; otherwise the command says how to run it and fails.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from bot.store.db import is_sqlite, safe_url


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


def backup(url: str, target: Path) -> str:
    """Write a backup of the database at ``url`` to ``target``; return a summary line."""
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    if is_sqlite(url):
        return _backup_sqlite(url, target)
    return _backup_postgres(url, target)


def _backup_sqlite(url: str, target: Path) -> str:
    source = url.split(":///", 1)[-1]
    if not source or ":memory:" in source or not Path(source).is_file():
        raise BackupError(f"MENTORBOT_DATABASE_URL: no SQLite database at {source or url}")
    try:
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"backup of {source} failed: {exc}") from None
    if check != "ok":
        raise BackupError(f"the copy in {target} failed its integrity check: {check}")
    return f"backed up {source} to {target} ({target.stat().st_size} bytes)"


def _backup_postgres(url: str, target: Path) -> str:
    plain = "postgresql://" + url.split("://", 1)[1]  # libpq's form, without +asyncpg
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "PostgreSQL is backed up with pg_dump, which is not installed here: run"
            f" pg_dump --format=custom --file {target} '{safe_url(plain)}'"
            " (with the password in PGPASSWORD or ~/.pgpass) on a machine that has it"
        )
    done = subprocess.run(
        [pg_dump, "--format=custom", "--file", str(target), "--dbname", plain],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        reason = " ".join(done.stderr.split())[:300]
        raise BackupError(f"pg_dump failed for {safe_url(plain)}: {reason}")
    return f"backed up {safe_url(url)} to {target} with pg_dump ({target.stat().st_size} bytes)"
