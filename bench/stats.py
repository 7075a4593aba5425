"""Small statistics and progress helpers shared by the benchmarks."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

_START = time.perf_counter()


def say(section: str, message: str) -> None:
    """One progress line on stderr, with the seconds since the run began."""
    elapsed = time.perf_counter() - _START
    print(f"[{elapsed:6.1f}s] {section}: {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(latencies: Sequence[float]) -> dict[str, Any]:
    """Events, total seconds, events per second and latency percentiles in ms."""
    total = sum(latencies)
    n = len(latencies)
    return {
        "events": n,
        "seconds": total,
        "per_second": n / total if total else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies, default=0.0) * 1000,
        "mean_ms": total / n * 1000 if n else 0.0,
    }


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)
