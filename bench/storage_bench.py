# ruff: noqa: ASYNC240  (a benchmark may block its own loop between measurements)
"""6. Storage: database bytes per pair after a simulated six-month programme.

Pairs join and agree through the pair script, then 26 weeks pass on the fake
clock: every week the scheduler fires what is due (reminders, did-you-meet,
check-ins, coaching nudges) and both members answer whatever the bot asked
(met: yes, ratings 4, texts skipped, the next meeting booked and accepted).
Messages get platform ids, as on Telegram, so answered questions lose their
buttons through the outbox as they would there.  The per-person flood limit
is lifted: it counts real seconds, and six months pass here in minutes (with
it, the members' answers were dropped from about week 8 on, and how many
depended on the machine's speed).  Then ``VACUUM``, and the file
size divided by the number of pairs; the size of the same database empty
(schema only) is reported as well, and the file's size before ``VACUUM``
(free pages included).
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.core_bench import START
from bench.driver import PHASE_A, Driver
from bench.stats import say
from bot.app import Core
from bot.config import load_settings
from bot.core.ports import FakeClock
from bot.store.db import Database

WEEKS = 26
WEEKLY = (
    ("m", "[Ja, vi sågs]"),
    ("e", "[Ja, vi sågs]"),
    ("m", "[4]"),
    ("e", "[4]"),
    ("m", "[4]"),
    ("e", "[4]"),
    ("m", "[Hoppa]"),
    ("e", "[Hoppa]"),
    ("m", "[Hoppa]"),
    ("e", "[Hoppa]"),
    ("m", "[👍]"),
    ("e", "tisdag kl 15"),
    ("m", "[Det passar]"),
)


def _vacuumed_size(path: Path) -> int:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    return path.stat().st_size


def _file_size(path: Path) -> tuple[int, int]:
    """The file as the bot left it (WAL checkpointed, not vacuumed) and its
    free pages: what retention deleted is free space that later rows reuse,
    but the file does not shrink without ``VACUUM``."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (free,) = conn.execute("PRAGMA freelist_count").fetchone()
    (page,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    return path.stat().st_size, free * page


def _outbox(path: Path) -> dict[str, int]:
    """Delivered messages: still whole in ``outbox``, or moved by retention to
    ``outbox_sent`` (key, recipient, time, digest); distinct keys over both;
    strips still kept; done jobs whose key alone is kept in ``job_keys``."""
    conn = sqlite3.connect(path)
    whole, strips = conn.execute(
        "SELECT count(sent_at), sum(idem_key LIKE 'strip:%') FROM outbox"
    ).fetchone()
    moved, job_keys = 0, 0
    with contextlib.suppress(sqlite3.OperationalError):  # a schema before the slim tables
        (moved,) = conn.execute("SELECT count(*) FROM outbox_sent").fetchone()
        (job_keys,) = conn.execute("SELECT count(*) FROM job_keys").fetchone()
    keys = (
        conn.execute(
            "SELECT count(*) FROM (SELECT idem_key FROM outbox"
            " UNION SELECT idem_key FROM outbox_sent)"
        ).fetchone()[0]
        if moved
        else conn.execute("SELECT count(DISTINCT idem_key) FROM outbox").fetchone()[0]
    )
    conn.close()
    return {
        "sent": (whole or 0) + moved,
        "compacted": moved,
        "keys": keys or 0,
        "strips": strips or 0,
        "job_keys": job_keys,
    }


def _table_bytes(path: Path) -> dict[str, int]:
    """Bytes of pages per table, its indexes included (SQLite's ``dbstat``,
    when the library was built with it; empty otherwise)."""
    conn = sqlite3.connect(path)
    try:
        pages = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
    except sqlite3.OperationalError:
        return {}
    finally:
        conn.close()
    sizes: dict[str, int] = {}
    for name, size in pages:
        table = owner.get(name, name)
        sizes[table] = sizes.get(table, 0) + int(size)
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


def _rows(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    conn.close()
    return {t: n for t, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n}


async def run_storage(workdir: Path, pairs: int) -> dict[str, Any]:
    empty = workdir / "empty.db"
    path = workdir / "storage.db"
    for p in (empty, path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{p}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite+aiosqlite:///{empty}")
    await db.upgrade()
    await db.dispose()
    empty_bytes = _vacuumed_size(empty)

    clock = FakeClock(START)
    # six months pass in a few minutes of real time: the per-person flood
    # limit (real time, not the fake clock) would drop the members' answers
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{path}", messages_per_minute=1_000_000
    )
    core = await Core.open(settings, clock)
    events = 0
    try:
        driver = Driver(core, refs=True)
        group = await driver.programme(pairs, slug="six-months")
        timed, _ = await driver.run_lockstep(group, PHASE_A)
        events += len(timed)
        for week in range(WEEKS):
            await core.scheduler.run_until(clock.now() + timedelta(days=7))
            timed, _ = await driver.run_lockstep(group, WEEKLY)
            events += len(timed)
            if (week + 1) % 4 == 0 or week + 1 == WEEKS:
                say("storage", f"week {week + 1}/{WEEKS}: {events} events so far")
        sent = driver.transport.count
    finally:
        await core.close()
    unvacuumed, free = _file_size(path)
    size = _vacuumed_size(path)
    return {
        "pairs": pairs,
        "weeks": WEEKS,
        "events": events,
        "proactive_messages": sent,
        "bytes": size,
        "empty_bytes": empty_bytes,
        "per_pair": size / pairs,
        "per_pair_net": (size - empty_bytes) / pairs,
        "unvacuumed_bytes": unvacuumed,
        "free_bytes": free,
        "per_pair_net_unvacuumed": (unvacuumed - empty_bytes) / pairs,
        "stripped": driver.transport.stripped,
        "rows": _rows(path),
        # bytes per table and its indexes after VACUUM, and in the empty schema
        "table_bytes": _table_bytes(path),
        "empty_table_bytes": _table_bytes(empty),
        "outbox": _outbox(path),
    }
