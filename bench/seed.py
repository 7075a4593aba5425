# ruff: noqa: ASYNC240  (a benchmark may block its own loop between measurements)
"""Bulk-seeded databases for the scheduler and memory benchmarks.

One programme; per pair two people with their identities, the pair (active)
and its two seats, and one feedback check-in job (``fb_round``), the
broadcast the targets are sized for.  Rows go in with ``executemany`` on the
plain sqlite3 module after the real migrations made the schema, so a
100,000-pair database takes seconds.  Which jobs are due is set afterwards on
a copy (:func:`make_due`).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.store.db import Database

START = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
PLATFORM = "bench"


def _db_time(when: datetime) -> str:
    return when.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S.%f")


NOW = _db_time(START - timedelta(days=30))
DUE = _db_time(START - timedelta(minutes=1))
LATER = _db_time(START + timedelta(days=14))


def _insert(conn: sqlite3.Connection, table: str, rows: Iterator[dict[str, Any]]) -> None:
    first = next(rows)
    cols = list(first)
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"

    def tuples() -> Iterator[tuple[Any, ...]]:
        yield tuple(first[c] for c in cols)
        for row in rows:
            yield tuple(row[c] for c in cols)

    conn.executemany(sql, tuples())


def _people(pairs: int) -> Iterator[dict[str, Any]]:
    for pid in range(1, 2 * pairs + 1):
        yield {
            "id": pid,
            "display_name": f"P{pid}",
            "language": "sv",
            "timezone": "Europe/Stockholm",
            "created_at": NOW,
            "consent_at": NOW,
            "onboarded_at": NOW,
        }


def _identities(pairs: int) -> Iterator[dict[str, Any]]:
    for pid in range(1, 2 * pairs + 1):
        yield {
            "id": pid,
            "person_id": pid,
            "platform": PLATFORM,
            "user_id": str(pid),
            "dm_chat_id": str(pid),
        }


def _groups(pairs: int) -> Iterator[dict[str, Any]]:
    for gid in range(1, pairs + 1):
        yield {
            "id": gid,
            "programme_id": 1,
            "kind": "pair",
            "name": f"Pair {gid}",
            "status": "active",
            "created_at": NOW,
            "version": 0,
        }


def _members(pairs: int) -> Iterator[dict[str, Any]]:
    for gid in range(1, pairs + 1):
        for offset, role in ((1, "mentor"), (2, "mentee")):
            pid = 2 * (gid - 1) + offset
            yield {
                "id": pid,
                "programme_id": 1,
                "group_id": gid,
                "person_id": pid,
                "name": f"P{pid}",
                "role": role,
                "joined_at": NOW,
            }


def _jobs(pairs: int) -> Iterator[dict[str, Any]]:
    for gid in range(1, pairs + 1):
        yield {
            "id": gid,
            "kind": "fb_round",
            "due_at": LATER,
            "key": f"fb:checkin:{gid}:1",
            "group_id": gid,
            "payload": '{"kind": "checkin", "round": "1"}',
            "attempts": 0,
        }


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


async def template(path: Path, pairs: int) -> Path:
    """A migrated database with ``pairs`` pairs, each with one future job."""
    path.unlink(missing_ok=True)
    await _migrate(f"sqlite+aiosqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO programmes (id, slug, name, goal, start_date, end_date, frequency_days,"
        " min_minutes, max_minutes, format, mode, language, settings, created_at)"
        " VALUES (1, 'bench', 'Bench', 'Stötta kvinnor i STEM', '2026-10-01', '2027-06-01',"
        " 30, 20, 60, 'one_to_one', 'online', 'sv', '{}', ?)",
        (NOW,),
    )
    for table, rows in (
        ("people", _people(pairs)),
        ("identities", _identities(pairs)),
        ("groups", _groups(pairs)),
        ("members", _members(pairs)),
        ("jobs", _jobs(pairs)),
    ):
        _insert(conn, table, rows)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def make_due(source: Path, target: Path, due: int) -> Path:
    """A copy of ``source`` where the first ``due`` jobs are due now."""
    target.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("UPDATE jobs SET due_at = ? WHERE id <= ?", (DUE, due))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return target
