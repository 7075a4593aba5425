"""What ``synchronous=FULL`` (the default) costs against ``NORMAL`` on SQLite.

In WAL mode, NORMAL syncs the WAL only at checkpoints, so a commit the bot
has confirmed to a person can be lost on power loss; FULL syncs the WAL on
every commit.  Two measurements:

- the core benchmark's pair script (see :mod:`bench.core_bench`), run with
  FULL and NORMAL alternately on fresh databases, median of the runs;
- one-row commits on a bare sqlite3 connection, which isolate the fsync.

    python -m bench.sync_bench            # this part only; updates docs/benchmarks.md
    python -m bench.sync_bench --quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.machine import load_average
from bench.stats import say, summary

LEVELS = ("FULL", "NORMAL")
BEGIN, END = "<!-- sqlite-synchronous -->", "<!-- /sqlite-synchronous -->"


def bare_commits(path: Path, level: str, n: int) -> dict[str, Any]:
    """``n`` transactions of one small insert each, WAL mode, at ``level``."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={level}")
        conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
        times = []
        for i in range(n):
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
            conn.execute("COMMIT")
            times.append(time.perf_counter() - start)
        return summary(times)
    finally:
        conn.close()


async def run_synchronous(
    workdir: Path, *, pairs: int, warm_pairs: int, rounds: int, commits: int
) -> dict[str, Any]:
    from bench.core_bench import run_core

    core: dict[str, list[dict[str, Any]]] = {level: [] for level in LEVELS}
    for r in range(rounds):
        for level in LEVELS if r % 2 == 0 else reversed(LEVELS):
            where = workdir / f"sync_{level}_{r}"
            where.mkdir(parents=True, exist_ok=True)
            result = await run_core(
                f"sqlite+aiosqlite:///{where}/core.db",
                f"synchronous={level} {r + 1}/{rounds}",
                where,
                pairs=pairs,
                warm_pairs=warm_pairs,
                synchronous=level,
                floors=False,
            )
            core[level].append(result["summary"])
    out: dict[str, Any] = {"pairs": pairs, "rounds": rounds, "core": {}, "bare": {}}
    out["load"] = f"{load_average()[0]:.1f}"
    for level, runs in core.items():
        runs.sort(key=lambda s: s["per_second"])
        out["core"][level] = {**runs[len(runs) // 2], "runs": [s["per_second"] for s in runs]}
    for level in LEVELS:
        say("synchronous", f"{commits} bare one-row commits at {level}")
        out["bare"][level] = bare_commits(workdir / f"bare_{level}.db", level, commits)
    return out


def section(r: dict[str, Any]) -> list[str]:
    lines = [BEGIN, "## SQLite `synchronous`: FULL (default) against NORMAL", ""]
    if "error" in r or "core" not in r:
        return [*lines, f"Not measured: {r.get('error', 'not run')}.", END, ""]
    full, normal = r["core"]["FULL"], r["core"]["NORMAL"]
    bfull, bnormal = r["bare"]["FULL"], r["bare"]["NORMAL"]
    cost = (full["mean_ms"] - normal["mean_ms"]) / normal["mean_ms"] * 100 if normal else 0
    lines += [
        "The bot runs SQLite with `synchronous=FULL` so that a commit it confirmed survives "
        "a power loss; `MENTORBOT_SQLITE_SYNCHRONOUS=NORMAL` trades that for speed (see "
        "docs/reliability.md). The core benchmark's pair script ran "
        f"{r['rounds']} times at each level ({r['pairs']} pairs, alternating, fresh "
        "databases; median run shown), and one-row commits ran on a bare sqlite3 connection "
        "(the fsync alone). `python -m bench.sync_bench` re-runs this part only.",
        "",
        "| | FULL | NORMAL |",
        "|---|---|---|",
        f"| core events/s (runs) | {full['per_second']:.0f} "
        f"({', '.join(f'{x:.0f}' for x in full['runs'])}) | {normal['per_second']:.0f} "
        f"({', '.join(f'{x:.0f}' for x in normal['runs'])}) |",
        f"| core p50 / p99 ms | {full['p50_ms']:.1f} / {full['p99_ms']:.1f} | "
        f"{normal['p50_ms']:.1f} / {normal['p99_ms']:.1f} |",
        f"| bare commits/s | {bfull['per_second']:.0f} | {bnormal['per_second']:.0f} |",
        f"| bare commit p50 / p99 ms | {bfull['p50_ms']:.2f} / {bfull['p99_ms']:.2f} | "
        f"{bnormal['p50_ms']:.2f} / {bnormal['p99_ms']:.2f} |",
        "",
        f"FULL cost {cost:+.0f}% mean time per core event in this run (load average "
        f"{r.get('load', '?')}; on a shared machine the core numbers are noisy, the bare "
        "rows are not). A FULL commit waits for one fsync of the WAL, "
        f"{bfull['p50_ms'] - bnormal['p50_ms']:.1f} ms at the median on this disk; each "
        "event is one transaction, plus one per outbox message marked sent, so on this "
        f"disk FULL caps one process at roughly {1000 / max(bfull['p50_ms'], 0.001):.0f} "
        "commits/s. The cost is the disk's, not the bot's: a fast NVMe fsync takes well "
        "under a millisecond, a network volume several.",
        END,
        "",
    ]
    return lines


def patch_report(out: Path, lines: list[str]) -> None:
    """Put the section into an existing report (replacing an older one)."""
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n"
    block = "\n".join(lines).rstrip() + "\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block
    out.write_text(text, encoding="utf-8")


def cli() -> None:
    from bench.run import DEFAULT_OUT

    parser = argparse.ArgumentParser(prog="python -m bench.sync_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report to update")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with tempfile.TemporaryDirectory(prefix="mentorbot-sync-") as tmp:
        result = asyncio.run(
            run_synchronous(
                Path(tmp),
                pairs=4 if args.quick else 12,
                warm_pairs=1,
                rounds=2 if args.quick else 3,
                commits=300 if args.quick else 2000,
            )
        )
    patch_report(args.out, section(result))
    say("synchronous", f"updated {args.out}")


if __name__ == "__main__":
    cli()
