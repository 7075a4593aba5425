"""The floor under the core: the same statements per event, without the core.

Two floors, both one transaction per event as the engine runs it:

* *simple*: per event, as many primary-key SELECTs, INSERTs, UPDATEs and
  DELETEs (in as many transactions) as the core executed for it, on a small
  table -- what the database and the driver cost at the very least;
* *exact*: the very SQL text and parameters the core sent, recorded with a
  ``before_cursor_execute`` listener and replayed on a copy of the database
  taken before the measured events -- what the core's own statements cost
  without SQLAlchemy and the flows around them.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bench.driver import StatementLog

SEED_ROWS = 50_000
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)
SELECT = "SELECT id, person, kind, data, at FROM t WHERE id = ?"
INSERT = "INSERT INTO t (person, kind, data, at) VALUES (?, ?, ?, ?)"
UPDATE = "UPDATE t SET data = ?, at = ? WHERE id = ?"
DELETE = "DELETE FROM t WHERE id = ?"
DATA = '{"step": "ask", "items": [1, 2, 3]}'
AT = "2026-11-25 10:00:00.000000"

Structure = list[list[dict[str, int]]]  # events -> transactions -> kind counts


def structures(logs: Sequence[StatementLog]) -> Structure:
    return [log.transactions() for log in logs]


def _prepare_sqlite(path: Path) -> None:
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, person INTEGER, kind TEXT, data TEXT, at TEXT)"
    )
    conn.execute("CREATE INDEX ix_t_person ON t (person)")
    conn.execute("BEGIN")
    conn.executemany(INSERT, ((i % 5000, "dialog", DATA, AT) for i in range(SEED_ROWS)))
    conn.execute("COMMIT")
    conn.close()


def _ids(rng: random.Random) -> int:
    return rng.randrange(1, SEED_ROWS)


def simple_sqlite3(path: Path, events: Structure) -> list[float]:
    """The simple floor on the synchronous sqlite3 module (no thread hop)."""
    _prepare_sqlite(path)
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    rng = random.Random(1)
    out = []
    for txns in events:
        started = time.perf_counter()
        for kinds in txns:
            conn.execute("BEGIN IMMEDIATE")
            for _ in range(kinds.get("SELECT", 0)):
                conn.execute(SELECT, (_ids(rng),)).fetchall()
            for _ in range(kinds.get("INSERT", 0)):
                conn.execute(INSERT, (rng.randrange(5000), "dialog", DATA, AT))
            for _ in range(kinds.get("UPDATE", 0)):
                conn.execute(UPDATE, (DATA, AT, _ids(rng)))
            for _ in range(kinds.get("DELETE", 0)):
                conn.execute(DELETE, (_ids(rng),))
            conn.execute("COMMIT")
        out.append(time.perf_counter() - started)
    conn.close()
    return out


async def simple_aiosqlite(path: Path, events: Structure) -> list[float]:
    """The simple floor on aiosqlite: every statement is a hop to its thread."""
    _prepare_sqlite(path)
    rng = random.Random(1)
    out = []
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        for pragma in PRAGMAS:
            await conn.execute(pragma)
        for txns in events:
            started = time.perf_counter()
            for kinds in txns:
                await conn.execute("BEGIN IMMEDIATE")
                for _ in range(kinds.get("SELECT", 0)):
                    await conn.execute_fetchall(SELECT, (_ids(rng),))
                for _ in range(kinds.get("INSERT", 0)):
                    await conn.execute(INSERT, (rng.randrange(5000), "dialog", DATA, AT))
                for _ in range(kinds.get("UPDATE", 0)):
                    await conn.execute(UPDATE, (DATA, AT, _ids(rng)))
                for _ in range(kinds.get("DELETE", 0)):
                    await conn.execute(DELETE, (_ids(rng),))
                await conn.execute("COMMIT")
            out.append(time.perf_counter() - started)
    return out


async def exact_aiosqlite(snapshot: Path, logs: Sequence[StatementLog]) -> tuple[list[float], int]:
    """Replay the recorded SQL on a copy of the database; returns times and failures."""
    out = []
    failures = 0
    async with aiosqlite.connect(snapshot, isolation_level=None) as conn:
        for pragma in PRAGMAS:
            await conn.execute(pragma)
        for log in logs:
            started = time.perf_counter()
            in_txn = False
            for item in log.items:
                tag = item[0]
                try:
                    if tag == "begin":
                        await conn.execute("BEGIN IMMEDIATE")
                        in_txn = True
                    elif tag == "commit":
                        await conn.execute("COMMIT")
                        in_txn = False
                    elif tag == "rollback":
                        if in_txn:
                            await conn.execute("ROLLBACK")
                        in_txn = False
                    elif item[4]:
                        await conn.executemany(item[2], item[3])
                    else:
                        await conn.execute_fetchall(item[2], item[3])
                except sqlite3.Error:
                    failures += 1
            if in_txn:
                await conn.execute("COMMIT")
            out.append(time.perf_counter() - started)
    return out, failures


async def simple_asyncpg(dsn: str, events: Structure) -> list[float]:
    """The simple floor on asyncpg (PostgreSQL)."""
    import asyncpg

    conn: Any = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP TABLE IF EXISTS bench_floor")
        await conn.execute(
            "CREATE TABLE bench_floor (id BIGSERIAL PRIMARY KEY, person INTEGER,"
            " kind TEXT, data TEXT, at TEXT)"
        )
        await conn.execute(
            "INSERT INTO bench_floor (person, kind, data, at)"
            " SELECT g % 5000, 'dialog', $1, $2 FROM generate_series(1, $3) g",
            DATA,
            AT,
            SEED_ROWS,
        )
        await conn.execute("ANALYZE bench_floor")
        sel = "SELECT id, person, kind, data, at FROM bench_floor WHERE id = $1"
        ins = "INSERT INTO bench_floor (person, kind, data, at) VALUES ($1, $2, $3, $4)"
        upd = "UPDATE bench_floor SET data = $1, at = $2 WHERE id = $3"
        dele = "DELETE FROM bench_floor WHERE id = $1"
        rng = random.Random(1)
        out = []
        for txns in events:
            started = time.perf_counter()
            for kinds in txns:
                async with conn.transaction():
                    for _ in range(kinds.get("SELECT", 0)):
                        await conn.fetch(sel, _ids(rng))
                    for _ in range(kinds.get("INSERT", 0)):
                        await conn.execute(ins, rng.randrange(5000), "dialog", DATA, AT)
                    for _ in range(kinds.get("UPDATE", 0)):
                        await conn.execute(upd, DATA, AT, _ids(rng))
                    for _ in range(kinds.get("DELETE", 0)):
                        await conn.execute(dele, _ids(rng))
            out.append(time.perf_counter() - started)
        await conn.execute("DROP TABLE bench_floor")
        return out
    finally:
        await conn.close()


def exact_sqlite3(
    snapshot: Path, logs: Sequence[StatementLog], *, as_core: str | None = None
) -> tuple[list[float], int]:
    """The same replay on the synchronous sqlite3 module: the time SQLite itself
    needs for the core's statements, with no thread hop and no ORM.

    ``as_core`` replays with the core's own settings (that ``synchronous``
    level, and ``secure_delete``), so the replay pays the same disk flushes per
    commit as the core; without it, the floors' ``synchronous=NORMAL``."""
    out = []
    failures = 0
    conn = sqlite3.connect(snapshot, isolation_level=None)
    pragmas = PRAGMAS
    if as_core is not None:
        pragmas = (
            *(p for p in PRAGMAS if "synchronous" not in p),
            f"PRAGMA synchronous={as_core}",
            "PRAGMA secure_delete=ON",
        )
    for pragma in pragmas:
        conn.execute(pragma)
    for log in logs:
        started = time.perf_counter()
        in_txn = False
        for item in log.items:
            tag = item[0]
            try:
                if tag == "begin":
                    conn.execute("BEGIN IMMEDIATE")
                    in_txn = True
                elif tag == "commit":
                    conn.execute("COMMIT")
                    in_txn = False
                elif tag == "rollback":
                    if in_txn:
                        conn.execute("ROLLBACK")
                    in_txn = False
                elif item[4]:
                    conn.executemany(item[2], item[3])
                else:
                    conn.execute(item[2], item[3]).fetchall()
            except sqlite3.Error:
                failures += 1
        if in_txn:
            conn.execute("COMMIT")
        out.append(time.perf_counter() - started)
    conn.close()
    return out, failures
