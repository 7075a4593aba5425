"""Writes docs/benchmarks.md from one run's results."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from bench import targets
from bench.profile_core import section as profile_section
from bench.sync_bench import section as sync_section
from bot.core.scheduler import JOBS_PER_TRANSACTION
from bot.store.retention import OUTBOX_KEEP

OUTBOX_DAYS = OUTBOX_KEEP.days
OUTBOX_AGE = f"{OUTBOX_DAYS} day" if OUTBOX_DAYS == 1 else f"{OUTBOX_DAYS} days"

#: the Telegram ratio and the ready time are issue 21's targets (bench.targets);
#: tick and memory growth with idle pairs are an earlier issue's, still reported
TARGET_RATIO = targets.TELEGRAM_RATIO
TARGET_GROWTH = 1.5
TARGET_READY_S = targets.READY_S


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _failed(section: dict[str, Any] | None) -> str | None:
    if section is None:
        return "not run"
    if "error" in section:
        return f"failed: `{section['error']}`"
    return None


def _machine(m: dict[str, Any], quick: bool) -> list[str]:
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items())
    before = " / ".join(f"{x:.2f}" for x in m["load_before"])
    after = " / ".join(f"{x:.2f}" for x in m.get("load_after", (0, 0, 0)))
    return [
        "## Machine",
        "",
        f"- Date: {m['date']}{' (quick run: small sizes, a smoke test only)' if quick else ''}",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gib']:.1f} GiB; Linux {m['kernel']}",
        f"- Python {m['python']}, SQLite {m['sqlite']}, {m['postgresql']}",
        f"- Libraries: {libs}",
        f"- Load average (1/5/15 min) before the run: {before}; after: {after}. The machine is "
        "shared: other processes (test suites of other work) may have run at the same time, "
        "and on two cores every busy process shows in the numbers.",
        "",
    ]


def _core_section(r: dict[str, Any], title: str) -> list[str]:
    lines = [f"### {title}", ""]
    problem = _failed(r)
    if problem:
        return [*lines, problem, ""]
    s = r["summary"]
    kinds = ", ".join(f"{k} {v:.1f}" for k, v in r["kinds"].items() if k != "transactions")
    txns = r["kinds"].get("transactions", 0.0)
    lines += [
        f"{r['pairs']} pairs, {s['events']:,} measured events "
        f"({r['errors']} answered with the error apology, "
        f"{r['missing_buttons']} presses skipped because the button was not there).",
        "",
        "| | events/s | p50 ms | p90 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
        f"| core (`handle` + `deliver_outbox`) | {_n(s['per_second'])} | {s['p50_ms']:.1f} | "
        f"{s['p90_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.1f} |",
    ]
    floors = (
        ("floor_aiosqlite", "floor: same statement count, raw aiosqlite"),
        ("exact_aiosqlite", "floor: the core's exact SQL replayed, raw aiosqlite"),
        ("exact_sqlite3", "floor: the core's exact SQL replayed, raw sqlite3 (no thread)"),
        (
            "exact_sqlite3_same",
            "floor: the same replay with the core's durability (`synchronous`, secure_delete)",
        ),
        ("floor_sqlite3", "floor: same statement count, raw sqlite3 (no thread)"),
        ("floor_asyncpg", "floor: same statement count, raw asyncpg"),
    )
    for key, label in floors:
        if key in r:
            f = r[key]
            lines.append(
                f"| {label} | {_n(f['per_second'])} | {f['p50_ms']:.2f} | {f['p90_ms']:.2f} | "
                f"{f['p99_ms']:.2f} | {f['max_ms']:.2f} |"
            )
    lines += [
        "",
        f"Per event on average: {r['statements']:.1f} SQL statements ({kinds}) in "
        f"{txns:.1f} transactions.",
    ]
    if "exact_sqlite3" in r:
        lines.append(
            "The core reaches SQLite through SQLAlchemy's ORM on a synchronous connection in "
            "the event loop's thread (no thread hand-off per statement); the aiosqlite rows "
            "show what the same SQL costs through the asynchronous driver."
        )
    if "exact_failures" in r:
        lines.append(
            f"The exact replay ran {r['exact_statements']:,} recorded statements; "
            f"{r['exact_failures']} failed on replay."
        )
    lines += [
        "",
        "| kind of event | events | p50 ms | p99 ms | statements | transactions |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in r["categories"]:
        lines.append(
            f"| {c['category']} | {c['events']} | {c['p50_ms']:.1f} | {c['p99_ms']:.1f} | "
            f"{c['statements']:.1f} | {c['transactions']:.1f} |"
        )
    return [*lines, ""]


def _telegram_section(r: dict[str, Any]) -> list[str]:
    """Both modes against the echo bot, as the Telegram benchmark renders them."""
    lines = ["## 2. End to end through the Telegram adapter", ""]
    problem = _failed(r)
    if problem:
        return [*lines, problem, ""]
    from bench.telegram_bench import render_markdown

    return [*lines, *render_markdown(r).splitlines()[2:], ""]


def _fanout_section(r: dict[str, Any] | None) -> list[str]:
    """The fan-out benchmark's own section, when its module provides one."""
    lines = ["## 2b. Fan-out at the platform's rate", ""]
    problem = _failed(r)
    if problem:
        return [*lines, f"Not measured in this run ({problem}).", ""]
    try:
        module = importlib.import_module("bench.fanout_bench")
        return [*lines, *module.section(r)]
    except (ImportError, AttributeError, KeyError, TypeError):
        return [*lines, "Measured; its benchmark provides no section of its own.", ""]


def _scheduler_section(r: dict[str, Any]) -> list[str]:
    lines = ["## 3. Scheduler tick", ""]
    problem = _failed(r)
    if problem:
        return [*lines, problem, ""]
    lines += [
        "Bulk-seeded databases: one programme; per pair two people, their identities, the "
        "pair and its two seats, and one feedback check-in job (two questions through the "
        "outbox, the next check-in planned). A tick claims 500 due jobs at a time; the first "
        f"claim, the first batch of {JOBS_PER_TRANSACTION} jobs (the warm-up of a freshly "
        "opened core: each statement compiled once for the engine's cache) and the "
        f"{r['sample']} jobs after it ({JOBS_PER_TRANSACTION} to a transaction, then the outbox "
        "delivered) are timed, and the tick is projected as claims + jobs x time per job "
        "(+ the warm-up's extra once), "
        "because running every job of a 100,000-job tick would take far longer than this "
        "benchmark may.",
        "",
        "| pairs | due jobs | seeded in s | db MB | first claim ms | warm-up ms per job | "
        "ms per job | statements per job | projected tick s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, t in sorted(r["ticks"].items(), key=lambda kv: int(kv[0])):
        lines.append(
            f"| {int(n):,} | {int(n):,} | {t['seed_s']:.1f} | {t['db_bytes'] / 1e6:.1f} | "
            f"{t['claim_ms']:.1f} | {t.get('warm_up_per_job_ms', 0):.1f} | "
            f"{t['per_job_ms']:.1f} | "
            f"{_n(t['statements'], 1) if 'statements' in t else '-'} | {_n(t['tick_s'], 1)} |"
        )
    idle = r["idle"]
    a, b = idle["small_tick"], idle["large_tick"]
    ratio = b["per_job_ms"] / a["per_job_ms"] if a["per_job_ms"] else 0
    claim_ratio = b["claim_ms"] / a["claim_ms"] if a["claim_ms"] else 0
    ticks = sorted(r["ticks"].items(), key=lambda kv: int(kv[0]))
    first, last = ticks[0][1], ticks[-1][1]
    per_job_growth = last["per_job_ms"] / first["per_job_ms"] if first["per_job_ms"] else 0
    lines += [
        "",
        f"Costs and idle pairs: the same {idle['due']:,} due jobs with {idle['small']:,} pairs "
        f"in the database: first claim {a['claim_ms']:.1f} ms, {a['per_job_ms']:.1f} ms per "
        f"job, tick {a['tick_s']:.1f} s; with {idle['large']:,} pairs: first claim "
        f"{b['claim_ms']:.1f} ms, {b['per_job_ms']:.1f} ms per job, tick {b['tick_s']:.1f} s "
        f"-- {ratio:.2f}x per job, {claim_ratio:.2f}x for the claim (target within "
        f"{TARGET_GROWTH}x: {_verdict(ratio <= TARGET_GROWTH)}).",
        "",
        f"Time per job with {int(ticks[-1][0]):,} due jobs is {per_job_growth:.2f}x that with "
        f"{int(ticks[0][0]):,} ({_verdict(per_job_growth <= TARGET_GROWTH)} within "
        f'{TARGET_GROWTH}x); a tick of N due jobs costs N x that, which is what "costs follow '
        'what is due" means. What a job costs is the problem: at '
        f"{first['per_job_ms']:.0f} ms per job, 50,000 check-ins take "
        f"{50_000 * first['per_job_ms'] / 1000 / 60:.0f} minutes on one worker.",
        "",
    ]
    return lines


def _memory_section(r: dict[str, Any]) -> list[str]:
    lines = ["## 4. Memory", ""]
    problem = _failed(r)
    if problem:
        return [*lines, problem, ""]
    mem = r["memory"]
    keys = sorted(mem, key=int)
    lines += [
        "A fresh process opens the core on the seeded database and runs one tick "
        f"({r['sample']} due jobs); resident memory from /proc/self/status.",
        "",
        "| pairs | RSS after imports MB | after Core.open MB | after the tick MB | peak MB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for k in keys:
        m = mem[k]
        lines.append(
            f"| {int(k):,} | {m['rss_import_kb'] / 1024:.1f} | {m['rss_open_kb'] / 1024:.1f} | "
            f"{m['rss_tick_kb'] / 1024:.1f} | {m['hwm_kb'] / 1024:.1f} |"
        )
    ratio = mem[keys[-1]]["hwm_kb"] / mem[keys[0]]["hwm_kb"]
    lines += [
        "",
        f"Peak with {int(keys[-1]):,} pairs is {ratio:.2f}x that with {int(keys[0]):,} (target "
        f"within {TARGET_GROWTH}x: {_verdict(ratio <= TARGET_GROWTH)}).",
        "",
    ]
    return lines


def _startup_section(r: dict[str, Any]) -> list[str]:
    lines = ["## 5. Start-up", ""]
    problem = _failed(r)
    if problem:
        return [*lines, problem, ""]
    ready = ", ".join(f"{x:.2f}" for x in r["ready"])
    polling = ", ".join(f"{x:.2f}" for x in r["polling"])
    lines += [
        "`python -m bot run` with a Telegram token against the fake Bot API and an existing "
        "SQLite database; seconds from spawning the process to the `mentorbot: ready` line, "
        "and to the first `getUpdates` the fake server receives (the adapter really "
        "listening).",
        "",
        f"- ready: median **{r['ready_median']:.2f} s** (runs: {ready}) -- target "
        f"{TARGET_READY_S} s: {_verdict(r['ready_median'] <= TARGET_READY_S)}",
        *(
            [
                f"- CPU the process used until ready: median {r['cpu_median']:.2f} s (runs: "
                + ", ".join(f"{x:.2f}" for x in r["cpu"])
                + "); on a shared machine the wall time also counts waiting for a core"
            ]
            if "cpu_median" in r
            else []
        ),
        f"- polling: median {r['polling_median']:.2f} s (runs: {polling})",
        *(
            [
                "- CPU seconds to import, stage by stage in a fresh process: "
                + ", ".join(f"{k} {v:.2f}" for k, v in r["imports"].items())
            ]
            if "imports" in r
            else []
        ),
        f"- first start, creating and migrating the database: ready {r['first_ready']:.2f} s, "
        f"polling {r['first_polling']:.2f} s",
        "",
    ]
    return lines


def _storage_section(r: dict[str, Any]) -> list[str]:
    lines = ["## 6. Storage", ""]
    problem = _failed(r)
    if problem:
        return [*lines, problem, ""]
    rows = ", ".join(f"{t} {n:,}" for t, n in list(r["rows"].items())[:10])
    lines += [
        f"{r['pairs']} pairs join, agree and book through the pair script, then "
        f"{r['weeks']} weeks pass on the fake clock; every week the scheduler fires what is "
        "due and both members answer (met, ratings, skips, the next meeting booked); "
        "messages get platform ids, so answered questions lose their buttons as on Telegram. "
        f"{r['events']:,} events, {r['proactive_messages']:,} proactive messages. After "
        "`VACUUM`:",
        "",
        f"- database: {r['bytes']:,} bytes; empty schema alone: {r['empty_bytes']:,} bytes",
        f"- **{_n(r['per_pair_net'])} bytes per pair** over the empty schema "
        f"({_n(r['per_pair'])} with the empty schema divided among the {r['pairs']} pairs; "
        "the schema's size is fixed, so the target is read on the growth per pair)",
        *(
            [
                f"- before `VACUUM` the file held {r['unvacuumed_bytes']:,} bytes "
                f"({_n(r['per_pair_net_unvacuumed'])} per pair over the empty schema), "
                f"{r['free_bytes']:,} of them in free pages (emptied by retention; SQLite "
                "fills them again with later rows but gives them back to the disk only on "
                "`VACUUM`); the rest of the difference is pages left part-filled where rows "
                "were deleted or compacted"
            ]
            if "unvacuumed_bytes" in r
            else []
        ),
        *(
            [
                f"- outbox: {r['outbox']['sent']:,} delivered rows, "
                f"{r['outbox']['compacted']:,} of them moved to their key, recipient, time "
                f"and digest after {OUTBOX_AGE} (`bot.store.retention_keys`, table "
                f"`outbox_sent`); {r['outbox']['keys']:,} keys kept, so queueing with a key "
                "stays idempotent"
                + (
                    f"; {r['outbox']['job_keys']:,} done jobs kept as their key alone "
                    "(`job_keys`, with their id and kind number), so planning one again "
                    "plans nothing"
                    if r["outbox"].get("job_keys")
                    else ""
                )
                + (
                    f"; {r['stripped']:,} edits took answered questions' buttons away, "
                    f"{r['outbox'].get('strips', 0):,} of their rows still kept "
                    "(deleted once delivered; questions closed over a day ago go too, "
                    "a week if never sent)"
                    if "stripped" in r
                    else ""
                )
            ]
            if "outbox" in r
            else []
        ),
        f"- rows: {rows}",
        *(
            [
                "- bytes per table with its indexes, over the empty schema: "
                + ", ".join(
                    f"{t} {n - r['empty_table_bytes'].get(t, 0):,}"
                    for t, n in r["table_bytes"].items()
                    if n > r["empty_table_bytes"].get(t, 0)
                )
            ]
            if r.get("table_bytes")
            else []
        ),
        "",
    ]
    return lines


def write_report(results: dict[str, Any], out: Path) -> None:
    quick = results["quick"]
    lines = [
        "# Benchmarks",
        "",
        "Written by the benchmark run itself; do not edit by hand. To reproduce, from the "
        "repository root with the project's virtual environment:",
        "",
        "```",
        "python -m bench.run            # full run, about ten minutes on two cores",
        "python -m bench.run --quick    # smoke run with small sizes",
        "```",
        "",
        "PostgreSQL numbers need a server: set `MENTORBOT_BENCH_POSTGRES_URL` to an asyncpg "
        "URL of a maintenance database, or have PostgreSQL installed for "
        "`scripts/test-postgres start` (which runs it with `fsync=off` and "
        "`synchronous_commit=off`, as for the test suite). The run creates its own database "
        "and drops it; without a server it says so and measures SQLite only. SQLite runs on a "
        "file in WAL mode (`synchronous=FULL`), as the bot does by default.",
        "",
    ]
    lines += _machine(results["machine"], quick)
    lines += targets.summary(results)
    lines += profile_section(results.get("profile"))
    lines += ["## 1. Core: events through the engine", ""]
    lines += [
        "The pair script of `tests/pair_steps.py` for every pair -- onboarding (invite, "
        "language, time zone, role, consent), the mentoring agreement, the rhythm, the first "
        "booking in free text, /help -- then the fake clock moves 8 days (reminders, the "
        "meeting, did-you-meet) and each pair answers did-you-meet, feedback questions and a "
        "coaching nudge, adds an agenda point, asks /next, writes free text and /help. The "
        "script runs in lockstep (step k for every pair, then step k+1), so consecutive "
        "events come from different people; the libraries the bot loads in a thread once it "
        "is ready (Babel's data, icalendar, dateparser, the date grammars) are loaded first, "
        "as in a running bot, and a few warm-up pairs run first, unmeasured. An "
        "event is timed as the adapters run it: `core.handle(event)` then "
        "`core.deliver_outbox()`, with a recording fake transport, one event at a time. "
        "Statements are counted with SQLAlchemy `before_cursor_execute` listeners on every "
        "connection the core uses (on SQLite: the events' transactions, the reads outside "
        "them, and the sent marks that do not wait for the disk), so the counts include "
        "every statement an event runs, the delivery of its messages included (a sent mark "
        "that SQLite runs as one statement without BEGIN counts as a transaction of its "
        "own). The floors replay, per event and in as many transactions, the same number of "
        "primary-key statements of the same kinds on a small table, and (SQLite) the exact "
        "recorded SQL with its parameters on a copy of the database taken before the "
        "measured events, each of the core's connections on one of its own with its "
        "durability (the sent marks at `synchronous=NORMAL`, as the core runs them).",
        "",
    ]
    lines += _core_section(results.get("core_sqlite", {"error": "not run"}), "SQLite (file, WAL)")
    if results["postgres"]["server"]:
        lines += _core_section(
            results.get("core_postgres", {"error": "not run"}), "PostgreSQL (asyncpg)"
        )
    else:
        lines += [
            "### PostgreSQL",
            "",
            f"Not measured: {results['postgres']['how']}.",
            "",
        ]
    lines += inbox_cost_section(results.get("inbox_cost", {"error": "not run"}))
    lines += _telegram_section(results.get("telegram", {"error": "not run"}))
    lines += _fanout_section(results.get("fanout"))
    sched = results.get("scheduler", {"error": "not run"})
    lines += _scheduler_section(sched)
    lines += _memory_section(sched)
    lines += _startup_section(results.get("startup", {"error": "not run"}))
    lines += _storage_section(results.get("storage", {"error": "not run"}))
    lines += sync_section(results.get("sqlite_synchronous", {"error": "not run"}))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def inbox_cost_section(r: dict[str, Any]) -> list[str]:
    """What storing every update and sending every reply from the outbox costs."""
    lines = ["### The cost of the durable inbox and of replies through the outbox", ""]
    if "error" in r:
        return [*lines, f"Not measured: {r['error']}", ""]
    lines += [
        "The same mix on SQLite, run twice on fresh databases: *direct* hands each event "
        "to `core.handle` and takes the replies it returns (nothing stored, replies not in "
        "the outbox -- the path before issue 15); *durable* runs it as the adapters now "
        "do: `core.receive` stores the update in the inbox (its own transaction), "
        "`core.process` handles it and writes every reply to the outbox in the event's "
        "transaction, `core.deliver_processed` sends them and marks each sent (one "
        "transaction per message).",
        "",
        "| path | events/s | p50 ms | p99 ms | statements/event | transactions/event |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("direct", "durable"):
        run = r.get(name, {})
        if "summary" not in run:
            lines.append(f"| {name} | failed | | | | |")
            continue
        s = run["summary"]
        lines.append(
            f"| {name} | {_n(s['per_second'])} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | "
            f"{run['statements']:.1f} | {run['kinds'].get('transactions', 0):.1f} |"
        )
    direct, durable = r.get("direct", {}), r.get("durable", {})
    if "summary" in direct and "summary" in durable:
        a, b = direct["summary"]["p50_ms"], durable["summary"]["p50_ms"]
        lines += [
            "",
            f"Per event the durable path costs {b - a:+.2f} ms at the median "
            f"({(b / a - 1) * 100 if a else 0:+.0f} %): the inbox insert, the row lock and "
            "mark, one outbox row per reply and one short transaction per reply sent.",
        ]
    return [*lines, ""]
