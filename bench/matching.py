"""Matching benchmark: 2,000 mentees and 500 mentors (capacity 1-4).

    python -m bench.matching                    # the full size, 3 runs
    python -m bench.matching --mentees 200 --mentors 50 --runs 1

Measures (1) the solver alone on in-memory profiles — scoring every pair,
the capacity-slot assignment — against the greedy baseline on the same data
(mentees matched, total score), and (2) ``mentorbot match suggest --json`` end
to end on a SQLite file: loading the pool from the database, solving, and
explaining every suggestion in words.  Time is the median of the runs; memory
is the peak of Python allocations during the solve (tracemalloc, which sees
numpy's arrays) and the process's peak resident set (VmHWM).

The population is drawn with a fixed seed to look like a Swedish STEM
programme: most speak Swedish, many English, a few Finnish, Arabic or German
only; a fifth want face-to-face meetings in one of six cities; fields and
stages spread, support needs one to three areas; one in twenty names someone
to avoid.  Numbers are reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.matching.profile import Profile, fold
from bot.matching.solver import Solution, greedy, solve

CITIES = ["Stockholm", "Göteborg", "Lund", "Umeå", "Uppsala", "Linköping"]
FIELDS = ["Fysik", "Kemi", "Datavetenskap", "Matematik", "Biologi", "Elektroteknik"]
ZONES = [
    ("Europe/Stockholm", 1.0, 0.85),
    ("Europe/London", 0.0, 0.06),
    ("Europe/Helsinki", 2.0, 0.05),
    ("America/New_York", -5.0, 0.02),
    ("Asia/Tokyo", 9.0, 0.02),
]
SUPPORT = ["career", "emotional", "practical", "profile", "other"]
MENTEE_STAGES = ["student", "doctoral", "doctoral", "early_career", "changing"]
MENTOR_STAGES = ["early_career", "industry", "established", "established"]


def _languages(rnd: random.Random) -> list[str]:
    roll = rnd.random()
    if roll < 0.55:
        return ["sv", "en"]
    if roll < 0.75:
        return ["sv"]
    if roll < 0.90:
        return ["en"]
    return [rnd.choice(["fi", "ar", "de"])] + (["en"] if rnd.random() < 0.5 else [])


def population(mentees: int, mentors: int, seed: int = 18) -> tuple[list[Profile], list[Profile]]:
    """Reproducible mentors and mentees (the benchmark's data; also used by tests)."""
    rnd = random.Random(seed)
    names = [f"Person {n}" for n in range(mentees + mentors)]

    def person(key: int, role: str) -> Profile:
        zone, offset, _ = rnd.choices(ZONES, weights=[z[2] for z in ZONES])[0]
        mode = rnd.choices(["online", "hybrid", "face_to_face"], weights=[6, 2, 2])[0]
        return Profile(
            key=key,
            name=names[key],
            role=role,
            languages=frozenset(_languages(rnd)),
            utc_offset=offset,
            timezone=zone,
            mode=mode,
            city=rnd.choice(CITIES) if mode != "online" else "",
            field=rnd.choice(FIELDS),
            stage=rnd.choice(MENTOR_STAGES if role == "mentor" else MENTEE_STAGES),
            support=frozenset(rnd.sample(SUPPORT, rnd.randint(1, 3))),
            capacity=rnd.randint(1, 4) if role == "mentor" else 1,
            avoid=frozenset({fold(rnd.choice(names))}) if rnd.random() < 0.05 else frozenset(),
        )

    mentor_list = [person(k, "mentor") for k in range(mentors)]
    mentee_list = [person(mentors + k, "mentee") for k in range(mentees)]
    return mentor_list, mentee_list


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _timed(fn: Any, runs: int) -> tuple[float, Any, float]:
    """(median seconds, last result, peak traced MB): timed runs without tracing
    (tracemalloc slows every allocation), then one traced run for the memory."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return statistics.median(times), result, peak


def _summary(s: Solution, mentees: int) -> dict[str, Any]:
    return {
        "matched": s.matched_mentees,
        "unmatched": mentees - s.matched_mentees,
        "total_score": s.total_score,
        "mean_score": round(s.total_score / max(s.matched_mentees, 1), 1),
    }


async def _end_to_end(mentors: list[Profile], mentees: list[Profile], runs: int) -> dict[str, Any]:
    """Seed a SQLite file with the same people, then time what ``match suggest`` does."""
    from sqlalchemy import insert

    from bot.config import load_settings
    from bot.content import load_content
    from bot.matching.models import Intake
    from bot.matching.report import suggest, suggestion_data, weights_for
    from bot.matching.store import load_pool
    from bot.organiser.programmes import create_programme
    from bot.store.db import Database, to_db
    from bot.store.models import Member, Person

    now = datetime(2026, 11, 25, 10, tzinfo=ZoneInfo("Europe/Stockholm"))
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await db.upgrade()
        async with db.transaction() as session:
            programme = await create_programme(
                session, now, name="Bench", start=date(2026, 12, 1), end=date(2027, 6, 1)
            )
            everyone = [*mentors, *mentees]
            await session.execute(
                insert(Person),
                [
                    {
                        "id": p.key + 1,
                        "display_name": p.name,
                        "language": "sv",
                        "timezone": p.timezone,
                        "created_at": to_db(now),
                        "consent_at": to_db(now),
                        "onboarded_at": to_db(now),
                    }
                    for p in everyone
                ],
            )
            await session.execute(
                insert(Member),
                [
                    {
                        "id": p.key + 1,
                        "programme_id": programme.id,
                        "person_id": p.key + 1,
                        "name": p.name,
                        "role": p.role,
                        "joined_at": to_db(now),
                    }
                    for p in everyone
                ],
            )
            await session.execute(
                insert(Intake),
                [
                    {
                        "member_id": p.key + 1,
                        "programme_id": programme.id,
                        "status": "waiting",
                        "updated_at": to_db(now),
                        "answers": {
                            "languages": sorted(p.languages),
                            "timezone": p.timezone,
                            "mode": p.mode,
                            "city": p.city,
                            "field": p.field,
                            "stage": p.stage,
                            "support": sorted(p.support),
                            "capacity": p.capacity,
                            "avoid": sorted(p.avoid),
                        },
                    }
                    for p in everyone
                ],
            )
        content = load_content(load_settings().content_dir)
        times, size = [], 0
        for _ in range(runs):
            start = time.perf_counter()
            async with db.sessions() as session:
                prog = await session.get(type(programme), programme.id)
                assert prog is not None
                pool = await load_pool(session, prog)
                data = suggestion_data(pool, suggest(pool, weights_for(prog)), content, "sv")
                size = len(json.dumps(data, ensure_ascii=False))
            times.append(time.perf_counter() - start)
        await db.dispose()
    return {
        "seconds": round(statistics.median(times), 3),
        "matched": data["summary"]["matched"],
        "json_kb": size // 1024,
    }


def run(mentees: int, mentors: int, runs: int, seed: int) -> dict[str, Any]:
    mentor_list, mentee_list = population(mentees, mentors, seed)
    solve_s, solution, solve_mb = _timed(lambda: solve(mentor_list, mentee_list), runs)
    greedy_s, baseline, greedy_mb = _timed(lambda: greedy(mentor_list, mentee_list), runs)
    places = sum(p.capacity for p in mentor_list)
    return {
        "mentees": mentees,
        "mentors": mentors,
        "places": places,
        "runs": runs,
        "solver": {
            "seconds": round(solve_s, 3),
            "peak_mb": round(solve_mb, 1),
            **_summary(solution, mentees),
        },
        "greedy": {
            "seconds": round(greedy_s, 3),
            "peak_mb": round(greedy_mb, 1),
            **_summary(baseline, mentees),
        },
        "end_to_end": asyncio.run(_end_to_end(mentor_list, mentee_list, runs)),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def render(r: dict[str, Any]) -> str:
    s, g, e = r["solver"], r["greedy"], r["end_to_end"]
    return "\n".join(
        [
            f"{r['mentees']} mentees, {r['mentors']} mentors with {r['places']} places"
            f" (median of {r['runs']} runs)",
            "",
            "| | matched | unmatched | total score | mean score | time | peak memory |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| solver (capacity slots + linear_sum_assignment) | {s['matched']} |"
            f" {s['unmatched']} | {s['total_score']} | {s['mean_score']} | {s['seconds']} s |"
            f" {s['peak_mb']} MB |",
            f"| greedy baseline (best free mentor, in turn) | {g['matched']} | {g['unmatched']} |"
            f" {g['total_score']} | {g['mean_score']} | {g['seconds']} s | {g['peak_mb']} MB |",
            "",
            f"`match suggest` end to end on SQLite (load pool, solve, explain every"
            f" suggestion): {e['seconds']} s, {e['matched']} matched, JSON {e['json_kb']} kB.",
            f"Process peak resident memory: {r['peak_rss_mb']} MB.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentees", type=int, default=2000)
    parser.add_argument("--mentors", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.mentees, args.mentors, args.runs, args.seed)
    print(json.dumps(result, indent=2) if args.json else render(result))


if __name__ == "__main__":
    main()
