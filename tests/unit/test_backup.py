"""``mentorbot db backup``: a consistent SQLite copy; PostgreSQL without pg_dump says how."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def mentorbot(tmp_path: Path, url: str, *args: str, path: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORBOT_")}
    env["MENTORBOT_DATABASE_URL"] = url
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


def test_sqlite_backup_is_a_working_copy(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/live.db"
    made = mentorbot(
        tmp_path, url, "program", "create", "--name", "STEM Up", "--start", "2026-12-01",
        "--end", "2027-06-01",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    target = tmp_path / "copy.db"
    done = mentorbot(tmp_path, url, "db", "backup", str(target))
    assert done.returncode == 0, done.stderr
    assert f"to {target}" in done.stdout
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT name FROM programmes").fetchall() == [("STEM Up",)]
    # the copy is a database mentorbot itself opens
    listed = mentorbot(tmp_path, f"sqlite+aiosqlite:///{target}", "program", "list")
    assert "STEM Up" in listed.stdout

    again = mentorbot(tmp_path, url, "db", "backup", str(target))
    assert again.returncode == 1 and "already exists" in again.stderr


def test_a_missing_sqlite_file_is_named(tmp_path: Path) -> None:
    done = mentorbot(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/none.db", "db", "backup", "x.db")
    assert done.returncode == 1 and "MENTORBOT_DATABASE_URL" in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_postgresql_without_pg_dump_points_to_it(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://mentor:secret@db.example/mentorbot"
    done = mentorbot(tmp_path, url, "db", "backup", "dump.pgc", path=str(tmp_path))
    assert done.returncode == 1
    assert "pg_dump --format=custom --file dump.pgc" in done.stderr
    assert "secret" not in done.stderr
