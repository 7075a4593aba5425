"""Writes docs/benchmarks.md from one run's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.sync_bench import section as sync_section

TARGET_EVENTS = 1000
TARGET_P99_MS = 10.0
TARGET_RATIO = 0.6
TARGET_GROWTH = 1.5
TARGET_READY_S = 1.5


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


def _core_why(r: dict[str, Any]) -> str:
    s = r["summary"]
    parts = [
        f"{_n(s['per_second'])} events/s and p99 {s['p99_ms']:.0f} ms against "
        f"{TARGET_EVENTS:,}/s and {TARGET_P99_MS:.0f} ms."
    ]
    if "exact_sqlite3" in r:
        exact = r["exact_sqlite3"]["per_second"]
        db_share = s["per_second"] / exact if exact else 0
        parts.append(
            f"SQLite is not the limit: the core's exact SQL ({r['statements']:.1f} statements "
            f"per event) replayed raw on sqlite3 runs at {_n(exact)}/s, about {db_share:.0%} "
            "of an event's time. The bot already talks to SQLite synchronously, without a "
            "thread hand-off per statement (the same SQL through aiosqlite runs at "
            f"{_n(r['exact_aiosqlite']['per_second']) if 'exact_aiosqlite' in r else '?'}/s; "
            "the core on aiosqlite managed 66 events/s on 2026-11-25 03:12); what remains is "
            "Python: SQLAlchemy's ORM for every statement (building "
            "the statement, the compiled-cache lookup, executing, turning rows into objects, "
            "the unit of work at flush) and the flows themselves."
        )
    cats = sorted(r.get("categories", []), key=lambda c: -c["p99_ms"])
    slow = [c for c in cats[:3] if c["p99_ms"] > TARGET_P99_MS]
    if slow:
        named = ", ".join(
            f"'{c['category']}' (p99 {c['p99_ms']:.0f} ms, {c['statements']:.0f} statements)"
            for c in slow
        )
        parts.append(
            f"The p99 is set by the events that complete a step: {named}. Agreeing the "
            "rhythm, completing onboarding or booking a meeting does several things in one "
            "transaction -- tells the partner, writes calendar files, plans reminders, the "
            "coaching nudge, the preparation prompt and the health check."
        )
    parts.append(
        f"{TARGET_EVENTS:,}/s means under 1 ms per event, about the cost of three ORM "
        "statements here; reaching it needs the hot paths rewritten on SQLAlchemy Core or "
        "raw SQL with fewer statements per event, which we have not done."
    )
    return " ".join(parts)


def _telegram_section(r: dict[str, Any]) -> list[str]:
    lines = ["## 2. End to end through the Telegram adapter", ""]
    problem = _failed(r)
    if problem:
        return [*lines, problem, ""]
    m, e = r["mentorbot"], r["echo"]
    lines += [
        f"Mentorbot: {r['pairs']} pairs through the pair script as real updates (commands, "
        "button presses, free text), one step for every pair injected at once "
        f"({len(m['steps'])} steps); the bare echo bot: the same number of text messages in "
        "bursts of the same size. Both poll the same in-process fake Bot API from their own "
        "process, with an unlimited rate limiter and 64 concurrent updates.",
        "",
        "| bot | updates | seconds | updates/s | bot process CPU | fake server CPU |",
        "|---|---:|---:|---:|---:|---:|",
        f"| Mentorbot | {m['updates']:,} | {m['seconds']:.1f} | {m['per_second']:.1f} | "
        f"{m['cpu_bot']:.0%} | {m['cpu_fake']:.0%} |",
        f"| bare python-telegram-bot echo | {e['updates']:,} | {e['seconds']:.1f} | "
        f"{e['per_second']:.1f} | {e['cpu_bot']:.0%} | {e['cpu_fake']:.0%} |",
        "",
        f"Mentorbot reaches {r['ratio']:.0%} of the echo bot (target "
        f"{TARGET_RATIO:.0%}: {_verdict(r['ratio'] >= TARGET_RATIO)}). Mentorbot made "
        f"{m['api_calls']:,} Bot API calls for its {m['updates']:,} updates (answers to "
        "button presses, edits, messages to the partner, calendar files); "
        f"{m['incomplete']} updates were not handled in time, "
        f"{m['missing_buttons']} presses skipped for a missing button.",
        "",
    ]
    return lines


def _scheduler_section(r: dict[str, Any]) -> list[str]:
    lines = ["## 3. Scheduler tick", ""]
    problem = _failed(r)
    if problem:
        return [*lines, problem, ""]
    lines += [
        "Bulk-seeded databases: one programme; per pair two people, their identities, the "
        "pair and its two seats, and one feedback check-in job (two questions through the "
        "outbox, the next check-in planned). A tick claims 500 due jobs at a time; the first "
        f"claim and {r['sample']} of its jobs (each in its own transaction, then the outbox "
        "delivered) are timed, and the tick is projected as claims + jobs x time per job, "
        "because running every job of a 100,000-job tick would take far longer than this "
        "benchmark may.",
        "",
        "| pairs | due jobs | seeded in s | db MB | first claim ms | ms per job | "
        "projected tick s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, t in sorted(r["ticks"].items(), key=lambda kv: int(kv[0])):
        lines.append(
            f"| {int(n):,} | {int(n):,} | {t['seed_s']:.1f} | {t['db_bytes'] / 1e6:.1f} | "
            f"{t['claim_ms']:.1f} | {t['per_job_ms']:.1f} | {_n(t['tick_s'], 1)} |"
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
        f"- polling: median {r['polling_median']:.2f} s (runs: {polling})",
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
        "due and both members answer (met, ratings, skips, the next meeting booked). "
        f"{r['events']:,} events, {r['proactive_messages']:,} proactive messages. After "
        "`VACUUM`:",
        "",
        f"- database: {r['bytes']:,} bytes; empty schema alone: {r['empty_bytes']:,} bytes",
        f"- **{_n(r['per_pair'])} bytes per pair** ({_n(r['per_pair_net'])} without the empty "
        "schema); report only, no target",
        f"- rows: {rows}",
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
        "python -m bench.run            # full run, about three minutes on two cores",
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
    lines += _summary(results)
    lines += ["## 1. Core: events through the engine", ""]
    lines += [
        "The pair script of `tests/pair_steps.py` for every pair -- onboarding (invite, "
        "language, time zone, role, consent), the mentoring agreement, the rhythm, the first "
        "booking in free text, /help -- then the fake clock moves 8 days (reminders, the "
        "meeting, did-you-meet) and each pair answers did-you-meet, feedback questions and a "
        "coaching nudge, adds an agenda point, asks /next, writes free text and /help. The "
        "script runs in lockstep (step k for every pair, then step k+1), so consecutive "
        "events come from different people; a few warm-up pairs run first, unmeasured. An "
        "event is timed as the adapters run it: `core.handle(event)` then "
        "`core.deliver_outbox()`, with a recording fake transport, one event at a time. "
        "Statements are counted with a SQLAlchemy `before_cursor_execute` listener; the "
        "floors replay, per event and in as many transactions, the same number of "
        "primary-key statements of the same kinds on a small table, and (SQLite) the exact "
        "recorded SQL with its parameters on a copy of the database taken before the "
        "measured events.",
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
    sched = results.get("scheduler", {"error": "not run"})
    lines += _scheduler_section(sched)
    lines += _memory_section(sched)
    lines += _startup_section(results.get("startup", {"error": "not run"}))
    lines += _storage_section(results.get("storage", {"error": "not run"}))
    lines += sync_section(results.get("sqlite_synchronous", {"error": "not run"}))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def _summary(results: dict[str, Any]) -> list[str]:
    rows = ["## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    why: list[str] = []
    core = results.get("core_sqlite", {})
    if "summary" in core:
        s = core["summary"]
        ok = s["per_second"] >= TARGET_EVENTS and s["p99_ms"] <= TARGET_P99_MS
        runs = core.get("runs", [])
        spread = (
            f" (median of {len(runs)} runs: {', '.join(_n(x['per_second']) for x in runs)}/s)"
            if len(runs) > 1
            else ""
        )
        rows.append(
            f"| core on SQLite >= {TARGET_EVENTS:,} events/s, p99 <= {TARGET_P99_MS:.0f} ms | "
            f"{_n(s['per_second'])} events/s, p99 {s['p99_ms']:.1f} ms{spread} | {_verdict(ok)} |"
        )
        if not ok:
            why.append(f"- **Core.** {_core_why(core)}")
    tg = results.get("telegram", {})
    if "ratio" in tg:
        ok = tg["ratio"] >= TARGET_RATIO
        rows.append(
            f"| Telegram end to end >= {TARGET_RATIO:.0%} of a bare echo bot | "
            f"{tg['ratio']:.0%} ({tg['mentorbot']['per_second']:.1f} vs "
            f"{tg['echo']['per_second']:.1f} updates/s) | {_verdict(ok)} |"
        )
        if not ok:
            m = tg["mentorbot"]
            calls = m["api_calls"] / m["updates"] if m.get("updates") else 0
            why.append(
                "- **Telegram.** The bot process is the bottleneck (its CPU "
                f"{m['cpu_bot']:.0%} of the wall time against the fake server's "
                f"{m['cpu_fake']:.0%}). Each update costs a core event (section 1) plus "
                f"{calls:.1f} Bot API calls on average -- a press is answered "
                "(answerCallbackQuery), the pressed message edited and the next question "
                "sent -- while the echo bot makes one call per update; a call through "
                "python-telegram-bot and httpx costs about what the echo bot spends per "
                f"update. With a core that cost nothing, {calls:.1f} calls per update "
                f"would still cap Mentorbot near {1 / calls if calls else 0:.0%} of the echo "
                "bot, so the target needs fewer calls per update (e.g. answering the "
                "callback in the webhook's HTTP response), not only a faster core."
            )
    sched = results.get("scheduler", {})
    if "idle" in sched:
        a, b = sched["idle"]["small_tick"], sched["idle"]["large_tick"]
        ratio = b["per_job_ms"] / a["per_job_ms"] if a["per_job_ms"] else 0
        rows.append(
            f"| tick time at {sched['idle']['large']:,} pairs within {TARGET_GROWTH}x of "
            f"{sched['idle']['small']:,} (same {sched['idle']['due']:,} due jobs) | "
            f"{ratio:.2f}x ({a['per_job_ms']:.1f} vs {b['per_job_ms']:.1f} ms per job) | "
            f"{_verdict(ratio <= TARGET_GROWTH)} |"
        )
        mem = sched["memory"]
        keys = sorted(mem, key=int)
        mratio = mem[keys[-1]]["hwm_kb"] / mem[keys[0]]["hwm_kb"]
        rows.append(
            f"| memory at {int(keys[-1]):,} pairs within {TARGET_GROWTH}x of {int(keys[0]):,} "
            f"| {mratio:.2f}x ({mem[keys[0]]['hwm_kb'] / 1024:.0f} vs "
            f"{mem[keys[-1]]['hwm_kb'] / 1024:.0f} MB peak) | "
            f"{_verdict(mratio <= TARGET_GROWTH)} |"
        )
        first = sorted(sched["ticks"].items(), key=lambda kv: int(kv[0]))[0][1]
        why.append(
            "- **Scheduler.** Tick cost follows what is due, but one due job costs "
            f"{first['per_job_ms']:.0f} ms: a check-in job runs about ten statements in "
            "its own transaction and then delivers each outbox message with a claim "
            "transaction and a mark-sent transaction of its own, each statement paying "
            "SQLAlchemy's ORM overhead."
        )
    st = results.get("startup", {})
    if "ready_median" in st:
        ok = st["ready_median"] <= TARGET_READY_S
        rows.append(
            f"| ready within {TARGET_READY_S} s | {st['ready_median']:.2f} s (polling "
            f"{st['polling_median']:.2f} s) | {_verdict(ok)} |"
        )
        if not ok:
            why.append(
                "- **Start-up.** Most of it is importing (python-telegram-bot, SQLAlchemy, "
                "Alembic, pydantic, the content files) and running the Alembic upgrade check."
            )
    storage = results.get("storage", {})
    if "per_pair" in storage:
        rows.append(
            f"| storage per pair after six months (report only) | "
            f"{_n(storage['per_pair'])} bytes | -- |"
        )
    out = [*rows, ""]
    if why:
        out += ["Where a target is missed, and why:", "", *why, ""]
    return out


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
