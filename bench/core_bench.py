"""1. Core: events per second and latency for a realistic mix, and the floor.

Pairs go through onboarding, the mentoring agreement, the rhythm and the
first booking (phase A), the clock moves a week so the meeting happens, then
did-you-meet, feedback, coaching, agenda, /next, free text and /help (phase
B).  The script advances in lockstep -- step k for every pair, then step k+1
-- so consecutive events come from different people, as on a busy day.  A
few warm-up pairs run first and are not measured, after the libraries the bot
loads once it is ready (``bot.time.parsing.warm_up``).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import floor
from bench.driver import PHASE_A, PHASE_B, Driver, StatementLog, Timed
from bench.stats import percentile, say, summary
from bot.app import Core
from bot.config import load_settings
from bot.core.ports import FakeClock
from bot.time.parsing import warm_up

START = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


def _backup(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL included)."""
    target.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    src.backup(dst)
    dst.close()
    src.close()


def _categories(timed: list[Timed], logs: list[StatementLog]) -> list[dict[str, Any]]:
    groups: dict[str, list[tuple[Timed, StatementLog]]] = defaultdict(list)
    for t, log in zip(timed, logs, strict=True):
        groups[t.category].append((t, log))
    rows = []
    for name, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        secs = [t.seconds for t, _ in items]
        rows.append(
            {
                "category": name,
                "events": len(items),
                "p50_ms": percentile(secs, 50) * 1000,
                "p99_ms": percentile(secs, 99) * 1000,
                "statements": sum(t.statements for t, _ in items) / len(items),
                "transactions": sum(log.kinds().get("transactions", 0) for _, log in items)
                / len(items),
            }
        )
    return rows


def _kinds(logs: list[StatementLog]) -> dict[str, float]:
    total: dict[str, int] = defaultdict(int)
    for log in logs:
        for kind, n in log.kinds().items():
            total[kind] += n
    return {k: v / len(logs) for k, v in sorted(total.items())} if logs else {}


async def run_core(
    url: str,
    label: str,
    workdir: Path,
    *,
    pairs: int,
    warm_pairs: int,
    pg_dsn: str | None = None,
    durable: bool = False,
    synchronous: str = "FULL",
    floors: bool = True,
) -> dict[str, Any]:
    sqlite_file = Path(url.split(":///", 1)[1]) if url.startswith("sqlite") else None
    clock = FakeClock(START)
    core = await Core.open(load_settings(database_url=url, sqlite_synchronous=synchronous), clock)
    # what the bot loads in a thread once it is ready (Babel's data, icalendar,
    # dateparser, the date grammars): a running bot's events do not pay it
    warm_up()
    try:
        driver = Driver(core, durable=durable)
        warm = await driver.programme(warm_pairs, slug="warm", first_user=900_000)
        timed_pairs = await driver.programme(pairs, slug="bench", first_user=1)

        def progress(phase: str) -> Any:
            def show(k: int, n: int) -> None:
                if k % 8 == 0 or k == n:
                    say(label, f"phase {phase}: step {k}/{n} for {pairs} pairs")

            return show

        say(label, f"warm-up: {warm_pairs} pairs")
        await driver.run_lockstep(warm, PHASE_A)
        if sqlite_file:
            _backup(sqlite_file, workdir / "snap_a.db")
        timed_a, logs_a = await driver.run_lockstep(
            timed_pairs, PHASE_A, record=True, progress=progress("A")
        )
        say(label, "the clock moves 8 days (meetings, reminders, did-you-meet)")
        await core.scheduler.run_until(clock.now() + timedelta(days=8))
        await driver.run_lockstep(warm, PHASE_B)
        if sqlite_file:
            _backup(sqlite_file, workdir / "snap_b.db")
        timed_b, logs_b = await driver.run_lockstep(
            timed_pairs, PHASE_B, record=True, progress=progress("B")
        )
    finally:
        await core.close()

    timed = timed_a + timed_b
    logs = logs_a + logs_b
    result: dict[str, Any] = {
        "label": label,
        "pairs": pairs,
        "summary": summary([t.seconds for t in timed]),
        "errors": sum(t.error for t in timed),
        "missing_buttons": driver.missing_buttons,
        "categories": _categories(timed, logs),
        "kinds": _kinds(logs),
        "statements": sum(t.statements for t in timed) / len(timed),
        "synchronous": synchronous if sqlite_file else None,
    }
    if not floors:
        return result
    structure = floor.structures(logs)
    say(label, "floor: the same statements per event, raw")
    if sqlite_file:
        result["floor_aiosqlite"] = summary(
            await floor.simple_aiosqlite(workdir / "floor.db", structure)
        )
        result["floor_sqlite3"] = summary(floor.simple_sqlite3(workdir / "floor3.db", structure))
        for snap in ("snap_a", "snap_b"):
            _backup(workdir / f"{snap}.db", workdir / f"{snap}_sync.db")
            _backup(workdir / f"{snap}.db", workdir / f"{snap}_same.db")
        sync_a, sfail_a = floor.exact_sqlite3(workdir / "snap_a_sync.db", logs_a)
        sync_b, sfail_b = floor.exact_sqlite3(workdir / "snap_b_sync.db", logs_b)
        result["exact_sqlite3"] = summary(sync_a + sync_b)
        result["exact_sqlite3_failures"] = sfail_a + sfail_b
        # the same replay with the core's own durability (synchronous, secure_delete)
        same_a, _ = floor.exact_sqlite3(workdir / "snap_a_same.db", logs_a, as_core=synchronous)
        same_b, _ = floor.exact_sqlite3(workdir / "snap_b_same.db", logs_b, as_core=synchronous)
        result["exact_sqlite3_same"] = summary(same_a + same_b)
        times_a, fail_a = await floor.exact_aiosqlite(workdir / "snap_a.db", logs_a)
        times_b, fail_b = await floor.exact_aiosqlite(workdir / "snap_b.db", logs_b)
        result["exact_aiosqlite"] = summary(times_a + times_b)
        result["exact_failures"] = fail_a + fail_b
        result["exact_statements"] = sum(
            1 for log in logs for item in log.items if item[0] == "stmt"
        )
    if pg_dsn:
        result["floor_asyncpg"] = summary(await floor.simple_asyncpg(pg_dsn, structure))
    return result


async def run_inbox_cost(workdir: Path, *, pairs: int, warm_pairs: int) -> dict[str, Any]:
    """The same realistic mix twice on SQLite: events handed to ``handle``
    with direct replies (no store, replies not in the outbox), and the way
    the adapters run them -- stored in the inbox first, handled from there,
    every reply through the outbox and marked sent."""
    runs: dict[str, Any] = {}
    for name, durable in (("direct", False), ("durable", True)):
        where = workdir / name
        where.mkdir(exist_ok=True)
        runs[name] = await run_core(
            f"sqlite+aiosqlite:///{where}/core.db",
            f"inbox cost: {name}",
            where,
            pairs=pairs,
            warm_pairs=warm_pairs,
            durable=durable,
            floors=False,
        )
    return runs
