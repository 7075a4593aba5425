"""A cProfile and a statement count of due check-in jobs, as the scheduler runs them.

The scheduler benchmark (:mod:`bench.scheduler_bench`) times the jobs; this
module shows where their time goes: it seeds the same database (pairs with a
due feedback check-in each), claims the jobs as a tick does, and runs them in
batches of ``JOBS_PER_TRANSACTION`` with their delivery, the profiler on and
every SQL statement counted.  A profiler slows Python several times, so the
milliseconds here are not the benchmark's; the shares and the statements per
job are what it is for.

    python -m bench.profile_jobs [pairs] [jobs]
"""

from __future__ import annotations

import asyncio
import cProfile
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event

from bench import seed
from bench.profile_core import top_of
from bench.scheduler_bench import BATCH, WARM_UP, _open
from bot.core.scheduler import JOBS_PER_TRANSACTION, moment_mark


async def profile_jobs(
    workdir: Path, pairs: int, jobs: int, *, profile: bool = True
) -> dict[str, Any]:
    template = await seed.template(workdir / "pairs.db", pairs)
    path = seed.make_due(template, workdir / "tick.db", min(pairs, jobs + WARM_UP))
    core, transport = await _open(path)
    scheduler = core.scheduler
    kinds: Counter[str] = Counter()
    commits = [0]

    def count(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        kinds[sql.lstrip().split(None, 1)[0].upper()] += 1

    def commit(conn: Any) -> None:
        commits[0] += 1

    engines = [core.db.sync_engine, core.db._lazy_engine]
    prof = cProfile.Profile()
    try:
        claimed = await scheduler._claim(min(BATCH, jobs + WARM_UP))
        now = core.clock.now()
        digest = moment_mark(now)
        # the first batch after the core opened compiles the statements: left out
        # (see bench.scheduler_bench.sampled_tick)
        warm, claimed = claimed[:WARM_UP], claimed[WARM_UP:]
        await core.delivery.deliver_claimed(await scheduler.run_jobs(warm, now, digest))
        warm_sent = transport.sent
        for engine in engines:
            sa_event.listen(engine, "before_cursor_execute", count)
            sa_event.listen(engine, "commit", commit)
        started, cpu_started = time.perf_counter(), time.process_time()
        if profile:
            prof.enable()
        queued: list[int] = []
        for start in range(0, len(claimed), JOBS_PER_TRANSACTION):
            queued += await scheduler.run_jobs(
                claimed[start : start + JOBS_PER_TRANSACTION], now, digest
            )
        await core.delivery.deliver_claimed(queued)
        prof.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        await core.close()
    ran = len(claimed)
    return {
        "jobs": ran,
        "sent": transport.sent - warm_sent,
        "ms_per_job": elapsed * 1000 / ran,
        "cpu_ms_per_job": cpu * 1000 / ran,
        "statements": sum(kinds.values()) / ran,
        "kinds": {k: v / ran for k, v in kinds.most_common()},
        "commits": commits[0] / ran,
        "cumulative": top_of(prof, "cumulative", 45) if profile else "",
        "tottime": top_of(prof, "tottime", 25) if profile else "",
    }


def main() -> None:
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory(prefix="mentorbot-jobs-") as tmp:
        plain = asyncio.run(profile_jobs(Path(tmp), pairs, jobs, profile=False))
    with tempfile.TemporaryDirectory(prefix="mentorbot-jobs-") as tmp:
        r = asyncio.run(profile_jobs(Path(tmp), pairs, jobs))
    print(
        f"{plain['jobs']} jobs ({plain['sent']} messages sent): {plain['ms_per_job']:.2f} ms per "
        f"job without the profiler ({plain['cpu_ms_per_job']:.2f} ms CPU: the machine may be "
        f"shared); {plain['statements']:.1f} statements per job "
        f"({', '.join(f'{k} {v:.1f}' for k, v in plain['kinds'].items())}), "
        f"{plain['commits']:.2f} commits per job\n"
    )
    print("By cumulative time:\n")
    print(r["cumulative"])
    print("\nBy own time:\n")
    print(r["tottime"])


if __name__ == "__main__":
    main()
