"""A small core run on PostgreSQL, for comparing changes back to back.

The same pair script as the full bench's PostgreSQL section (``run_core``
with its raw asyncpg floor of the same statement count), at a small size,
on a database of its own that it drops afterwards.  It prints the core's
and the floor's milliseconds per event, their ratio, the statements,
transactions and round trips per event (counted, so exact however loaded the
shared machine is), and the CPU this process spent per measured event and
on the floor (``getrusage``, user and system).  With ``--profile`` the
measured events run under cProfile and the top is printed (the profiler
slows Python down, so only its shares count then).

    MENTORBOT_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.profile_pg 6 [--profile [--cpu]]
        python -m bench.profile_pg --statements   # CPU per statement, each way
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import resource
import sys
import tempfile
import time
from asyncio import selector_events
from pathlib import Path
from typing import Any

from bench import driver as drv
from bench import floor
from bench.core_bench import run_core
from bench.profile_core import top_of


async def _admin(server: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


#: where a function's own time goes, by the first marker its file name holds
GROUPS = (
    ("sqlalchemy/dialects/postgresql", "SQLAlchemy asyncpg dialect"),
    ("sqlalchemy/ext/asyncio", "SQLAlchemy asyncio extension"),
    ("sqlalchemy/util/concurrency", "SQLAlchemy greenlet glue"),
    ("sqlalchemy/util/_concurrency", "SQLAlchemy greenlet glue"),
    ("greenlet", "greenlet switches"),
    ("sqlalchemy/orm", "SQLAlchemy ORM"),
    ("sqlalchemy/engine", "SQLAlchemy engine"),
    ("sqlalchemy/pool", "SQLAlchemy pool"),
    ("sqlalchemy/sql", "SQLAlchemy SQL"),
    ("sqlalchemy", "SQLAlchemy other"),
    ("asyncpg", "asyncpg"),
    ("socket", "socket send/recv"),
    ("epoll", "waiting (epoll)"),
    ("asyncio", "asyncio"),
    ("/bot/", "Mentorbot"),
    ("/bench/", "bench driver"),
)


def shares(prof: cProfile.Profile) -> str:
    """Own time summed by library, milliseconds."""
    import pstats

    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total: dict[str, float] = {}
    for (file, _line, func), (_cc, _nc, tt, _ct, _callers) in stats.items():
        where = f"{file} {func}"
        name = next((label for marker, label in GROUPS if marker in where), "other")
        total[name] = total.get(name, 0.0) + tt
    rows = sorted(total.items(), key=lambda kv: -kv[1])
    return "\n".join(f"{v * 1000:9.0f} ms  {k}" for k, v in rows)


async def profile_pg(server: str, workdir: Path, pairs: int, profile: bool) -> dict[str, Any]:
    """Run the core bench on a fresh PostgreSQL database; CPU (and, with
    ``profile``, cProfile) only over the measured events."""
    # (``--cpu``: the profiler's clock is this process's CPU time, so the
    # shares leave out the waits of a shared machine)
    clock = time.process_time if "--cpu" in sys.argv else time.perf_counter
    prof = cProfile.Profile(clock) if profile else None
    cpu = [0.0, 0.0]
    # round trips: asyncpg writes each request (a statement, BEGIN, COMMIT)
    # to its socket in one call and then waits for the answer
    counting, writes = [False], [0]
    transport = selector_events._SelectorSocketTransport
    original_write = transport.write

    def write(self: Any, data: Any) -> None:
        if counting[0]:
            writes[0] += 1
        original_write(self, data)

    floor_cpu = [0.0, 0.0]
    original = drv.Driver.act

    async def act(self: drv.Driver, seat: drv.Seat, action: str) -> drv.Timed | None:
        if not self.counter.enabled:  # warm-up pairs: not measured
            return await original(self, seat, action)
        started = resource.getrusage(resource.RUSAGE_SELF)
        counting[0] = True
        if prof is not None:
            prof.enable()
        try:
            return await original(self, seat, action)
        finally:
            if prof is not None:
                prof.disable()
            counting[0] = False
            ended = resource.getrusage(resource.RUSAGE_SELF)
            cpu[0] += ended.ru_utime - started.ru_utime
            cpu[1] += ended.ru_stime - started.ru_stime

    original_floor = floor.simple_asyncpg

    async def timed_floor(dsn: str, events: floor.Structure) -> list[float]:
        started = resource.getrusage(resource.RUSAGE_SELF)
        try:
            return await original_floor(dsn, events)
        finally:
            ended = resource.getrusage(resource.RUSAGE_SELF)
            floor_cpu[0] = ended.ru_utime - started.ru_utime
            floor_cpu[1] = ended.ru_stime - started.ru_stime

    name = f"bench_pg_{os.getpid()}"
    base = server.rsplit("/", 1)[0]
    await _admin(server, f'CREATE DATABASE "{name}"')
    drv.Driver.act = act  # type: ignore[method-assign]
    floor.simple_asyncpg = timed_floor  # type: ignore[assignment]
    transport.write = write  # type: ignore[method-assign]
    try:
        result = await run_core(
            f"{base}/{name}",
            "core postgresql",
            workdir,
            pairs=pairs,
            warm_pairs=1,
            pg_dsn=f"postgresql://{base.split('://', 1)[1]}/{name}",
        )
    finally:
        drv.Driver.act = original  # type: ignore[method-assign]
        floor.simple_asyncpg = original_floor  # type: ignore[assignment]
        transport.write = original_write  # type: ignore[method-assign]
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    events = max(1, result["summary"]["events"])
    result["cpu_ms"] = {"user": cpu[0] * 1000 / events, "system": cpu[1] * 1000 / events}
    result["round_trips"] = writes[0] / events
    result["floor_cpu_ms"] = {
        "user": floor_cpu[0] * 1000 / events,
        "system": floor_cpu[1] * 1000 / events,
    }
    if prof is not None:
        result["cumulative"] = top_of(prof, "cumulative", 40)
        result["tottime"] = top_of(prof, "tottime", 30)
        result["shares"] = shares(prof)
        import pstats

        # (a count, not a time: the same however loaded the machine is)
        result["calls"] = pstats.Stats(prof).total_calls / events  # type: ignore[attr-defined]
    return result


async def statement_costs(server: str, repeat: int) -> dict[str, float]:
    """CPU microseconds of this process per statement, one after another in
    one transaction, each way the core can run it: a prebuilt ``UPDATE`` and
    the sender's read through SQLAlchemy (one ``run_sync`` hop, as before
    :mod:`bot.store.pg_direct`), on the transaction's asyncpg connection
    (``run_core`` and ``read_sender`` now), a read by primary key that
    misses the session through the ORM and on asyncpg (``PgSession.get``),
    and raw asyncpg's floor."""
    from sqlalchemy import bindparam, update

    from bot.store import pg_direct
    from bot.store.db import Database
    from bot.store.models import Identity, Person
    from bot.store.sender_rows import _read_sync, _statement
    from bot.store.session import _run_core_sync

    rename = update(Person).where(Person.id == bindparam("pid")).values(display_name=bindparam("n"))
    name = f"bench_pgst_{os.getpid()}"
    base = server.rsplit("/", 1)[0]
    await _admin(server, f'CREATE DATABASE "{name}"')
    out: dict[str, float] = {}
    try:
        db = Database(f"{base}/{name}")
        await db.upgrade()
        async with db.transaction() as s:
            from datetime import datetime

            person = Person(
                display_name="A", language="sv", timezone="UTC", created_at=datetime(2026, 1, 1)
            )
            s.add(person)
            await s.flush()
            s.add(Identity(person_id=person.id, platform="console", user_id="u"))
        pid = person.id
        read, _shape = _statement()
        who = {"platform": "console", "user_id": "u"}

        async def timed(label: str, step: Any) -> None:
            async with db.transaction() as s:
                for _ in range(20):  # (prepared, cached)
                    await step(s)
                started = time.process_time()
                for _ in range(repeat):
                    await step(s)
                out[label] = (time.process_time() - started) * 1e6 / repeat

        async def sa_update(s: Any) -> None:
            await s.run_sync(_run_core_sync, rename, {"pid": pid, "n": "B"})

        async def direct_update(s: Any) -> None:
            await pg_direct.execute(s, rename, {"pid": pid, "n": "B"})

        async def sa_read(s: Any) -> None:
            await s.run_sync(_read_sync, read, who)

        async def direct_read(s: Any) -> None:
            await pg_direct.execute(s, read, who)

        from sqlalchemy.ext.asyncio import AsyncSession

        async def orm_get(s: Any) -> None:
            s.sync_session.expunge_all()  # (a miss each time: the row is read)
            await AsyncSession.get(s, Person, pid)

        async def direct_get(s: Any) -> None:
            s.sync_session.expunge_all()
            await s.get(Person, pid)

        await timed("UPDATE via SQLAlchemy Core (run_sync)", sa_update)
        await timed("UPDATE on asyncpg (pg_direct)", direct_update)
        await timed("sender read via SQLAlchemy Core (run_sync)", sa_read)
        await timed("sender read on asyncpg (pg_direct)", direct_read)
        await timed("get by primary key via AsyncSession.get (ORM)", orm_get)
        await timed("get by primary key on asyncpg (PgSession.get)", direct_get)
        await db.dispose()
        import asyncpg

        conn = await asyncpg.connect(f"postgresql://{base.split('://', 1)[1]}/{name}")
        try:
            async with conn.transaction():
                sql = "UPDATE people SET display_name = $1 WHERE id = $2"
                for _ in range(20):
                    await conn.execute(sql, "B", pid)
                started = time.process_time()
                for _ in range(repeat):
                    await conn.execute(sql, "B", pid)
                out["UPDATE raw asyncpg"] = (time.process_time() - started) * 1e6 / repeat
        finally:
            await conn.close()
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    profile = "--profile" in sys.argv
    pairs = int(args[0]) if args else 6
    server = os.environ["MENTORBOT_BENCH_POSTGRES_URL"]
    if "--statements" in sys.argv:
        costs = asyncio.run(statement_costs(server, 1000))
        for label, micros in costs.items():
            print(f"{micros:8.0f} us CPU  {label}")
        return
    with tempfile.TemporaryDirectory(prefix="mentorbot-pg-") as tmp:
        r = asyncio.run(profile_pg(server, Path(tmp), pairs, profile))
    s, f = r["summary"], r["floor_asyncpg"]
    kinds = ", ".join(f"{k} {v:.2f}" for k, v in r["kinds"].items())
    print(
        f"{pairs} pairs, {s['events']} events: core {s['mean_ms']:.2f} ms/event "
        f"(p50 {s['p50_ms']:.2f}, p99 {s['p99_ms']:.2f}), floor {f['mean_ms']:.2f} ms/event, "
        f"ratio {f['mean_ms'] / s['mean_ms']:.3f}; {r['statements']:.2f} statements/event "
        f"({kinds}); {r['round_trips']:.2f} round trips/event; errors {r['errors']}"
    )
    c, fc = r["cpu_ms"], r["floor_cpu_ms"]
    print(
        f"CPU per event: core user {c['user']:.2f} + system {c['system']:.2f} ms; "
        f"floor user {fc['user']:.2f} + system {fc['system']:.2f} ms"
    )
    if profile:
        print(f"Python function calls per event: {r['calls']:.0f}")
        print("\nBy cumulative time:\n")
        print(r["cumulative"])
        print("\nBy own time:\n")
        print(r["tottime"])
        print("\nOwn time by library:\n")
        print(r["shares"])


if __name__ == "__main__":
    main()
