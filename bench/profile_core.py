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
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
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


async def profile_core(workdir: Path, pairs: int, only: str | None = None) -> dict[str, Any]:
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
    return {
        "pairs": pairs,
        "events": result["summary"]["events"],
        "statements": result["statements"],
        "cumulative": top_of(prof, "cumulative"),
        "tottime": top_of(prof, "tottime", 16),
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
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    only = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory(prefix="mentorbot-profile-") as tmp:
        r = asyncio.run(profile_core(Path(tmp), pairs, only))
    print(f"{r['pairs']} pairs, {r['events']} events, {r['statements']:.1f} statements per event\n")
    print("By cumulative time:\n")
    print(r["cumulative"])
    print("\nBy own time:\n")
    print(r["tottime"])


if __name__ == "__main__":
    main()
