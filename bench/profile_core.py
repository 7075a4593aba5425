"""The top of a cProfile of the core benchmark's measured events.

The issue asks for the profile before and after the hot-path work in
docs/benchmarks.md: the run profiles a small core run (the same pair script,
``handle`` + ``deliver_outbox`` per event, only the measured events inside
the profiler) and the report prints its top next to the profile taken
before the work (``bench/profile_before.txt``, made by this module on the
code as it was).  A profiler slows Python down several times, so the
profiled run's rates are not the benchmark's numbers; the shares are what
it is for.

    python -m bench.profile_core 6 > bench/profile_before.txt
    python -m bench.profile_core 6 "[Det passar]"   # only the steps with this action
    python -m bench.profile_core 6 --dump /tmp/core.prof  # also save the stats

Without the profiler, ``--plain`` runs the same small core run and prints
what an event costs: wall and CPU (``time.thread_time``: this thread's) milliseconds per
measured event, statements and transactions per event -- the numbers to
compare back to back before and after a change on a shared machine.
``--url`` runs it on another database (an empty PostgreSQL one):

    python -m bench.profile_core 6 --plain
    python -m bench.profile_core 6 --plain --url postgresql+asyncpg://.../db
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import driver as drv
from bench.core_bench import run_core

BEFORE = Path(__file__).resolve().parent / "profile_before.txt"
TOP = 28


def _shorten(text: str) -> str:
    """Paths relative to the venv or the repository, so lines stay readable."""
    out = []
    for line in text.splitlines():
        for marker in ("site-packages/", str(Path(__file__).resolve().parent.parent) + "/"):
            while marker in line:
                head, _, tail = line.partition(marker)
                cut = head.rfind(" ")
                line = head[: cut + 1] + tail
        out.append(line.rstrip())
    return "\n".join(out).strip("\n")


def top_of(prof: cProfile.Profile, key: str, limit: int = TOP) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(prof, stream=buffer)
    stats.sort_stats(key).print_stats(limit)
    text = buffer.getvalue()
    start = text.find("   ncalls")
    return _shorten(text[start:] if start >= 0 else text)


async def profile_core(
    workdir: Path, pairs: int, only: str | None = None, dump: Path | None = None
) -> dict[str, Any]:
    """Run the core bench on SQLite with the measured events under cProfile
    (``only``: just the script steps whose action contains it, e.g. a
    button's label, to see what one heavy kind of event does)."""
    prof = cProfile.Profile()
    original = drv.Driver.act

    async def act(self: drv.Driver, seat: drv.Seat, action: str) -> drv.Timed | None:
        if only is not None and only not in action:
            return await original(self, seat, action)
        prof.enable()
        try:
            return await original(self, seat, action)
        finally:
            prof.disable()

    drv.Driver.act = act  # type: ignore[method-assign]
    try:
        result = await run_core(
            f"sqlite+aiosqlite:///{workdir}/profiled.db",
            "profile",
            workdir,
            pairs=pairs,
            warm_pairs=1,
            floors=False,
        )
    finally:
        drv.Driver.act = original  # type: ignore[method-assign]
    stats = pstats.Stats(prof)
    if dump is not None:  # (for pstats' callers/callees views)
        stats.dump_stats(str(dump))
    return {
        "pairs": pairs,
        "events": result["summary"]["events"],
        "statements": result["statements"],
        # Python function calls per measured event: unlike times, the same on
        # a loaded machine as on an idle one (the events are deterministic)
        "calls": stats.total_calls / max(1, result["summary"]["events"]),  # type: ignore[attr-defined]
        "profiled_ms": stats.total_tt / max(1, result["summary"]["events"]) * 1000,  # type: ignore[attr-defined]
        "cumulative": top_of(prof, "cumulative"),
        "tottime": top_of(prof, "tottime", 16),
    }


async def plain_core(workdir: Path, pairs: int, url: str | None = None) -> dict[str, Any]:
    """The same run without the profiler: wall and CPU time per measured event."""
    cpu = 0.0
    original = drv.Driver.act

    async def act(self: drv.Driver, seat: drv.Seat, action: str) -> drv.Timed | None:
        nonlocal cpu
        started = time.thread_time()
        try:
            return await original(self, seat, action)
        finally:
            cpu += time.thread_time() - started

    drv.Driver.act = act  # type: ignore[method-assign]
    try:
        result = await run_core(
            url or f"sqlite+aiosqlite:///{workdir}/plain.db",
            "plain",
            workdir,
            pairs=pairs,
            warm_pairs=1,
            floors=False,
        )
    finally:
        drv.Driver.act = original  # type: ignore[method-assign]
    events = result["summary"]["events"]
    return {
        "pairs": pairs,
        "events": events,
        "mean_ms": result["summary"]["mean_ms"],
        "p99_ms": result["summary"]["p99_ms"],
        "cpu_ms": cpu / events * 1000 if events else 0.0,
        "statements": result["statements"],
        "transactions": result["kinds"].get("transactions", 0.0),
        "errors": result["errors"],
    }


def section(after: dict[str, Any] | None) -> list[str]:
    """Profile before (kept in bench/profile_before.txt) and after (this run)."""
    lines = [
        "## Profile of the core's events",
        "",
        "cProfile over the measured events of a small core run on SQLite (`python -m "
        "bench.profile_core`); the profiler slows Python several times, so only the shares "
        "count. Paths are shortened to the package.",
        "",
        "### Before the hot-path work",
        "",
    ]
    before = BEFORE.read_text(encoding="utf-8") if BEFORE.is_file() else "(missing)"
    lines += ["```", before.strip("\n"), "```", "", "### After (this run)", ""]
    if not after or "error" in after:
        problem = after.get("error") if after else "not run"
        return [*lines, f"Not measured in this run ({problem}).", ""]
    lines += [
        f"{after['pairs']} pairs, {after['events']} events, {after['statements']:.1f} "
        "statements per event",
        "",
        "```",
        "By cumulative time:",
        "",
        after["cumulative"],
        "",
        "By own time:",
        "",
        after["tottime"],
        "```",
        "",
    ]
    return lines


def main() -> None:
    args = sys.argv[1:]
    pairs = int(args[0]) if args and args[0].isdigit() else 6
    if "--plain" in args:
        url = args[args.index("--url") + 1] if "--url" in args else None
        with tempfile.TemporaryDirectory(prefix="mentorbot-plain-") as tmp:
            p = asyncio.run(plain_core(Path(tmp), pairs, url))
        print(
            f"{p['pairs']} pairs, {p['events']} events: {p['mean_ms']:.2f} ms/event "
            f"(p99 {p['p99_ms']:.1f}), CPU {p['cpu_ms']:.2f} ms/event, "
            f"{p['statements']:.2f} statements and {p['transactions']:.2f} transactions "
            f"per event, {p['errors']} errors"
        )
        return
    only = args[1] if len(args) > 1 and not args[1].startswith("--") else None
    dump = Path(args[args.index("--dump") + 1]) if "--dump" in args else None
    with tempfile.TemporaryDirectory(prefix="mentorbot-profile-") as tmp:
        r = asyncio.run(profile_core(Path(tmp), pairs, only, dump))
    print(
        f"{r['pairs']} pairs, {r['events']} events, {r['statements']:.1f} statements per event, "
        f"{r['calls']:.0f} Python calls per event ({r['profiled_ms']:.2f} ms profiled)\n"
    )
    print("By cumulative time:\n")
    print(r["cumulative"])
    print("\nBy own time:\n")
    print(r["tottime"])


if __name__ == "__main__":
    main()
