# ruff: noqa: ASYNC240  (a benchmark may block its own loop between measurements)
"""3. Scheduler tick time and 4. memory, on bulk-seeded databases.

Tick: the scheduler's own steps (claim a batch of 500 due jobs, run each in
its transaction, deliver the outbox) with a counting fake transport; every
due job is a feedback check-in for a pair (two questions out through the
outbox, the next check-in planned).  The first claim -- the only query whose
cost could depend on how many jobs are due or exist -- and a sample of the
claimed jobs are timed, and the tick is projected as claims + jobs x time per
job: at tens of milliseconds per job, running 100,000 jobs would take longer
than the whole benchmark may.  "Costs do not grow with idle
pairs" is measured directly: the same 1,000 due jobs with 1,000 pairs and
with 100,000 pairs in the database.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event

from bench import seed
from bench.mem_probe import CountingTransport
from bench.stats import say
from bot.app import Core
from bot.config import load_settings
from bot.core.ports import FakeClock
from bot.core.scheduler import JOBS_PER_TRANSACTION, moment_mark

BATCH = 500  # Scheduler.tick claims this many jobs at a time
#: the first jobs after the core opened, timed apart (see ``sampled_tick``)
WARM_UP = JOBS_PER_TRANSACTION


async def _open(path: Path) -> tuple[Core, CountingTransport]:
    core = await Core.open(
        load_settings(database_url=f"sqlite+aiosqlite:///{path}"), FakeClock(seed.START)
    )
    transport = CountingTransport()
    core.add_transport(transport)
    return core, transport


def _engines(core: Core) -> list[Any]:
    """The engines a tick writes through (SQLite: the durable and the lazy one)."""
    lazy = getattr(core.db, "_lazy_engine", None)
    return [core.db.sync_engine, *([lazy] if lazy is not None else [])]


async def sampled_tick(path: Path, due: int, sample: int) -> dict[str, Any]:
    """The first claim of a tick (``LIMIT 500``) and ``sample`` of its jobs, as
    ``tick`` runs them; the tick is projected from the time per job.

    Each measurement opens a new core, as a start of the bot does, and the
    first batch of jobs after a start pays what a running bot paid long ago:
    SQLAlchemy compiles each statement once per engine (its cache lives on
    the engine), and the first process also imports and fills its caches.
    So the first batch (``WARM_UP`` jobs, with their delivery) is timed
    apart, as the warm-up, and the ``sample`` jobs after it are the time per
    job; the projected tick adds the warm-up's extra once."""
    core, transport = await _open(path)
    scheduler = core.scheduler
    counted = {"statements": 0, "commits": 0}

    def statement(*_: Any) -> None:
        counted["statements"] += 1

    def commit(*_: Any) -> None:
        counted["commits"] += 1

    try:
        started = time.perf_counter()
        jobs = await scheduler._claim(BATCH)
        claim_s = time.perf_counter() - started
        claimed = len(jobs)
        now = core.clock.now()
        digest = moment_mark(now)
        warm = jobs[:WARM_UP] if len(jobs) >= WARM_UP + sample else []
        warm_started = time.perf_counter()
        await core.delivery.deliver_claimed(await scheduler.run_jobs(warm, now, digest))
        warm_s = time.perf_counter() - warm_started
        jobs = jobs[len(warm) :]
        warm_sent = transport.sent
        for engine in _engines(core):
            sa_event.listen(engine, "before_cursor_execute", statement)
            sa_event.listen(engine, "commit", commit)
        run_started, cpu_started = time.perf_counter(), time.process_time()
        queued: list[int] = []
        for start in range(0, min(sample, len(jobs)), JOBS_PER_TRANSACTION):
            chunk = jobs[start : min(start + JOBS_PER_TRANSACTION, sample)]
            queued += await scheduler.run_jobs(chunk, now, digest)
        await core.delivery.deliver_claimed(queued)
        run_s = time.perf_counter() - run_started
        cpu_s = time.process_time() - cpu_started
    finally:
        await core.close()
    ran = min(sample, len(jobs))
    per_job = run_s / ran if ran else 0.0
    claims = -(-due // BATCH)
    warm_extra = max(0.0, warm_s - per_job * len(warm))
    return {
        "jobs": ran,
        "claimed": claimed,
        "sent": transport.sent - warm_sent,
        "claim_ms": claim_s * 1000,
        "run_s": run_s,
        "per_job_ms": per_job * 1000,
        # the CPU this process used for them (on a shared machine, wall time also waits)
        "cpu_per_job_ms": cpu_s * 1000 / ran if ran else 0.0,
        # every statement the jobs and their delivery ran (BEGINs included), per job
        "statements": counted["statements"] / ran if ran else 0.0,
        "commits": counted["commits"] / ran if ran else 0.0,
        "tick_s": per_job * due + claim_s * claims + warm_extra,
        # the first batch after the core opened, per job (see above)
        "warm_up_per_job_ms": warm_s * 1000 / len(warm) if warm else 0.0,
    }


async def memory(path: Path) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.mem_probe",
        f"sqlite+aiosqlite:///{path}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"memory probe failed: {err.decode()[-500:]}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def run_scheduler(workdir: Path, sizes: list[int], sample: int) -> dict[str, Any]:
    small, large = sizes[0], sizes[-1]
    ticks: dict[int, dict[str, Any]] = {}
    templates: dict[int, Path] = {}
    for n in sizes:
        say("scheduler", f"seeding {n:,} pairs (bulk insert)")
        started = time.perf_counter()
        templates[n] = await seed.template(workdir / f"pairs_{n}.db", n)
        seeded = time.perf_counter() - started
        size = templates[n].stat().st_size
        copy = seed.make_due(templates[n], workdir / "tick.db", n)
        say("scheduler", f"{n:,} pairs seeded in {seeded:.1f} s; tick with {n:,} due jobs")
        ticks[n] = await sampled_tick(copy, n, sample)
        ticks[n]["seed_s"] = seeded
        ticks[n]["db_bytes"] = size
        say("scheduler", f"{n:,} due: {ticks[n]['per_job_ms']:.1f} ms per job")
    say("scheduler", f"idle pairs: {small:,} due jobs with {small:,} vs {large:,} pairs")
    idle_large = await sampled_tick(
        seed.make_due(templates[large], workdir / "tick.db", small), small, sample
    )
    say("scheduler", f"{small:,} due among {large:,} pairs: {idle_large['per_job_ms']:.1f} ms/job")
    mem = {}
    for n in (small, large):
        say("memory", f"a Core process with {n:,} pairs, one tick of {sample} due jobs")
        mem[n] = await memory(seed.make_due(templates[n], workdir / "mem.db", sample))
    for path in [*templates.values(), workdir / "tick.db", workdir / "mem.db"]:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {
        "sizes": sizes,
        "sample": sample,
        "ticks": ticks,
        "idle": {
            "due": small,
            "small": small,
            "large": large,
            "small_tick": ticks[small],
            "large_tick": idle_large,
        },
        "memory": mem,
    }
