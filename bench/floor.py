"""The floor under the core: the same statements per event, without the core.

Two floors, both one transaction per event as the engine runs it:

* *simple*: per event, as many primary-key SELECTs, INSERTs, UPDATEs and
  DELETEs (in as many transactions) as the core executed for it, on a small
  table -- what the database and the driver cost at the very least;
* *exact*: the very SQL text and parameters the core sent on every one of
  its connections (transactions, reads, sent marks), recorded with
  ``before_cursor_execute`` listeners and replayed, each connection's on a
  connection of its own, on a copy of the database taken before the
  measured events -- what the core's own statements cost without SQLAlchemy
  and the flows around them.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bench.driver import IMPLICIT, LAZY, READ, WRITE, StatementLog

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

#: the core's SQLite connections, each replayed on one of its own, and how
#: each begins a transaction (reads deferred, as the core's read engine)
CONNECTIONS = (WRITE, READ, LAZY)
BEGIN = {WRITE: "BEGIN IMMEDIATE", READ: "BEGIN", LAZY: "BEGIN IMMEDIATE"}


def _conn_of(item: tuple[Any, ...]) -> str:
    """The connection a recorded item ran on (the last field of each)."""
    return str(item[5] if item[0] == "stmt" else item[1])


def _implicit(item: tuple[Any, ...]) -> bool:
    """A transaction SQLite ran as one statement, no BEGIN or COMMIT sent."""
    return bool(item[2])


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
    """Replay the recorded SQL on a copy of the database; returns times and failures.

    Each of the core's connections (its transactions, its reads, its sent
    marks) is replayed on a connection of its own, in the recorded order."""
    out = []
    failures = 0
    conns: dict[str, Any] = {}
    try:
        for name in CONNECTIONS:
            conn = await aiosqlite.connect(snapshot, isolation_level=None)
            conns[name] = conn
            for pragma in PRAGMAS:
                await conn.execute(pragma)
        for log in logs:
            started = time.perf_counter()
            open_on: set[str] = set()
            for item in log.items:
                tag = item[0]
                name = _conn_of(item)
                conn = conns[name]
                try:
                    if tag == "begin":
                        if not _implicit(item):
                            await conn.execute(BEGIN[name])
                            open_on.add(name)
                    elif tag == "commit":
                        if name in open_on:
                            await conn.execute("COMMIT")
                        open_on.discard(name)
                    elif tag == "rollback":
                        if name in open_on:
                            await conn.execute("ROLLBACK")
                        open_on.discard(name)
                    elif item[4]:
                        await conn.executemany(item[2], item[3])
                    else:
                        await conn.execute_fetchall(item[2], item[3])
                except sqlite3.Error:
                    failures += 1
            for name in open_on:
                await conns[name].execute("COMMIT")
            out.append(time.perf_counter() - started)
    finally:
        for conn in conns.values():
            await conn.close()
    return out, failures


async def simple_asyncpg(dsn: str, events: Structure) -> list[float]:
    """The simple floor on asyncpg (PostgreSQL): each recorded transaction in
    one, except those the core sent as a single statement in autocommit mode
    (its sent marks), which run so here too."""
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

        async def run(kinds: dict[str, int]) -> None:
            for _ in range(kinds.get("SELECT", 0)):
                await conn.fetch(sel, _ids(rng))
            for _ in range(kinds.get("INSERT", 0)):
                await conn.execute(ins, rng.randrange(5000), "dialog", DATA, AT)
            for _ in range(kinds.get("UPDATE", 0)):
                await conn.execute(upd, DATA, AT, _ids(rng))
            for _ in range(kinds.get("DELETE", 0)):
                await conn.execute(dele, _ids(rng))

        for txns in events:
            started = time.perf_counter()
            for kinds in txns:
                if kinds.get(IMPLICIT):
                    # the core sent this one statement in autocommit mode
                    await run(kinds)
                    continue
                async with conn.transaction():
                    await run(kinds)
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

    Every connection the core used (its transactions, its reads, its sent
    marks) is replayed on a connection of its own, in the recorded order.
    ``as_core`` replays with the core's own settings (that ``synchronous``
    level on the transactions' and reads' connections, NORMAL on the sent
    marks' as the core has it, and ``secure_delete``), so the replay pays the
    same disk flushes per commit as the core; without it, the floors'
    ``synchronous=NORMAL`` everywhere."""
    out = []
    failures = 0
    conns: dict[str, sqlite3.Connection] = {}
    for name in CONNECTIONS:
        conn = sqlite3.connect(snapshot, isolation_level=None)
        conns[name] = conn
        pragmas = PRAGMAS
        if as_core is not None:
            level = as_core
            if name == LAZY and as_core in ("EXTRA", "FULL"):
                level = "NORMAL"
            pragmas = (
                *(p for p in PRAGMAS if "synchronous" not in p),
                f"PRAGMA synchronous={level}",
                "PRAGMA secure_delete=ON",
            )
        for pragma in pragmas:
            conn.execute(pragma)
    for log in logs:
        started = time.perf_counter()
        open_on: set[str] = set()
        for item in log.items:
            tag = item[0]
            name = _conn_of(item)
            conn = conns[name]
            try:
                if tag == "begin":
                    if not _implicit(item):
                        conn.execute(BEGIN[name])
                        open_on.add(name)
                elif tag == "commit":
                    if name in open_on:
                        conn.execute("COMMIT")
                    open_on.discard(name)
                elif tag == "rollback":
                    if name in open_on:
                        conn.execute("ROLLBACK")
                    open_on.discard(name)
                elif item[4]:
                    conn.executemany(item[2], item[3])
                else:
                    conn.execute(item[2], item[3]).fetchall()
            except sqlite3.Error:
                failures += 1
        for name in open_on:
            conns[name].execute("COMMIT")
        out.append(time.perf_counter() - started)
    for conn in conns.values():
        conn.close()
    return out, failures
