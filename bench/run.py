"""Run every benchmark and write docs/benchmarks.md.

    python -m bench.run            # the full run (about ten minutes on two cores)
    python -m bench.run --quick    # a smoke run with small sizes (about two minutes)
    python -m bench.run --only inbox_cost   # one section, printed (the report is left alone)
    python -m bench.run --skip telegram     # leave sections out (reported as not measured)

PostgreSQL numbers need a server: ``MENTORBOT_BENCH_POSTGRES_URL`` (an
asyncpg URL to a maintenance database), else ``scripts/test-postgres start``
is tried.  The benchmark creates its own database there and drops it at the
end; without a server it says so and measures SQLite only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.machine import describe, load_average
from bench.report import inbox_cost_section, write_report
from bench.stats import say

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Sizes:
    core_pairs: int
    warm_pairs: int
    telegram_pairs: int
    scheduler: tuple[int, ...]
    tick_sample: int
    startup_runs: int
    storage_pairs: int
    core_runs: int
    profile_pairs: int


FULL = Sizes(20, 3, 30, (1_000, 10_000, 100_000), 100, 5, 4, 3, 6)
QUICK = Sizes(4, 1, 5, (200, 2_000), 20, 2, 1, 1, 2)


def _fanout_runner() -> Callable[[Path, bool], Awaitable[dict[str, Any]]] | None:
    """The fan-out benchmark's entry point ``run_fanout(workdir, quick)``, where
    its module exists (it is kept with the Telegram adapter's benchmarks)."""
    try:
        from bench import fanout_bench
    except ImportError:
        return None
    run = getattr(fanout_bench, "run_fanout", None)
    return run if callable(run) else None


def _postgres_server() -> tuple[str | None, str]:
    url = os.environ.get("MENTORBOT_BENCH_POSTGRES_URL")
    if url:
        return url, "MENTORBOT_BENCH_POSTGRES_URL"
    script = ROOT / "scripts" / "test-postgres"
    try:
        out = subprocess.run(
            [str(script), "start"], capture_output=True, text=True, timeout=120, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"no PostgreSQL server ({type(exc).__name__}: scripts/test-postgres start)"
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("postgresql")]
    return (lines[-1], "scripts/test-postgres") if lines else (None, "no URL printed")


async def _admin(server: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _section(
    results: dict[str, Any], name: str, run: Callable[[], Awaitable[dict[str, Any]]]
) -> None:
    """Run one benchmark; a failure is recorded in the report, not fatal."""
    if name in results.get("skipped", ()):
        say(name, "skipped (--skip)")
        results[name] = {"error": "skipped in this run (--skip)"}
        return
    try:
        results[name] = await run()
    except Exception as exc:
        say(name, f"FAILED: {type(exc).__name__}: {exc}")
        results[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}


async def main(
    quick: bool, out: Path, only: str | None = None, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    from bench.core_bench import run_core, run_inbox_cost
    from bench.profile_core import profile_core
    from bench.scheduler_bench import run_scheduler
    from bench.startup_bench import run_startup
    from bench.storage_bench import run_storage
    from bench.sync_bench import run_synchronous
    from bench.telegram_bench import run as run_telegram

    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
    sizes = QUICK if quick else FULL
    results: dict[str, Any] = {"quick": quick, "sizes": sizes.__dict__, "machine": describe()}
    say("bench", f"{'quick' if quick else 'full'} run; machine: {results['machine']['cpu']}")
    server, how = _postgres_server()
    results["postgres"] = {"server": bool(server), "how": how}
    results["skipped"] = list(skip)
    say("bench", f"PostgreSQL: {'available via ' + how if server else how}")

    with tempfile.TemporaryDirectory(prefix="mentorbot-bench-") as tmp:
        work = Path(tmp)

        def sub(name: str) -> Path:
            path = work / name
            path.mkdir(exist_ok=True)
            return path

        async def inbox_cost() -> dict[str, Any]:
            return await run_inbox_cost(
                sub("inbox"), pairs=sizes.core_pairs, warm_pairs=sizes.warm_pairs
            )

        if only == "inbox_cost":
            await _section(results, "inbox_cost", inbox_cost)
            print("\n".join(inbox_cost_section(results["inbox_cost"])))
            return results

        async def core_sqlite() -> dict[str, Any]:
            """The headline number: several whole runs on fresh databases, the
            median one reported, the others' rates kept (this machine is shared)."""
            runs = []
            for n in range(sizes.core_runs):
                where = sub(f"core{n}")
                runs.append(
                    await run_core(
                        f"sqlite+aiosqlite:///{where}/core.db",
                        f"core sqlite {n + 1}/{sizes.core_runs}",
                        where,
                        pairs=sizes.core_pairs,
                        warm_pairs=sizes.warm_pairs,
                    )
                )
            runs.sort(key=lambda r: r["summary"]["per_second"])
            median = dict(runs[len(runs) // 2])
            median["runs"] = [
                {"per_second": r["summary"]["per_second"], "p99_ms": r["summary"]["p99_ms"]}
                for r in runs
            ]
            return median

        await _section(results, "core_sqlite", core_sqlite)
        await _section(results, "inbox_cost", inbox_cost)
        if server:
            name = f"bench_{os.getpid()}"
            base = server.rsplit("/", 1)[0]

            async def core_pg() -> dict[str, Any]:
                await _admin(server, f'CREATE DATABASE "{name}"')
                try:
                    return await run_core(
                        f"{base}/{name}",
                        "core postgresql",
                        sub("pg"),
                        pairs=sizes.core_pairs,
                        warm_pairs=sizes.warm_pairs,
                        pg_dsn=f"postgresql://{base.split('://', 1)[1]}/{name}",
                    )
                finally:
                    await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    say("core postgresql", f"database {name} dropped")

            await _section(results, "core_postgres", core_pg)
        await _section(
            results, "telegram", lambda: run_telegram(sizes.telegram_pairs, workdir=sub("tg"))
        )
        fanout = _fanout_runner()
        if fanout is not None:
            await _section(results, "fanout", lambda: fanout(sub("fanout"), quick))
        await _section(
            results,
            "scheduler",
            lambda: run_scheduler(sub("sched"), list(sizes.scheduler), sizes.tick_sample),
        )
        await _section(results, "startup", lambda: run_startup(sub("start"), sizes.startup_runs))
        await _section(results, "storage", lambda: run_storage(sub("store"), sizes.storage_pairs))
        await _section(
            results, "profile", lambda: profile_core(sub("profile"), sizes.profile_pairs)
        )
        await _section(
            results,
            "sqlite_synchronous",
            lambda: run_synchronous(
                sub("sync"),
                pairs=sizes.core_pairs,
                warm_pairs=sizes.warm_pairs,
                rounds=sizes.core_runs,
                commits=300 if quick else 2000,
            ),
        )
    results["machine"]["load_after"] = load_average()
    write_report(results, out)
    raw = Path(tempfile.gettempdir()) / "mentorbot-bench-last.json"
    raw.write_text(json.dumps(results, indent=1, default=str))
    say("bench", f"wrote {out} (raw numbers: {raw})")
    return results


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report file")
    parser.add_argument(
        "--only", choices=["inbox_cost"], help="run one section and print it (no report)"
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=[
            "core_sqlite",
            "inbox_cost",
            "core_postgres",
            "telegram",
            "fanout",
            "scheduler",
            "startup",
            "storage",
            "profile",
            "sqlite_synchronous",
        ],
        help="leave a section out (repeatable); the report says it was not measured",
    )
    args = parser.parse_args()
    asyncio.run(main(args.quick, args.out, args.only, tuple(args.skip)))


if __name__ == "__main__":
    cli()
