"""Fan-out: one organiser broadcast to thousands, at the platform's rate.

The real path end to end: an organiser's ``/broadcast`` arrives as a Telegram
update at the bot (``python -m bench.tg_worker mentorbot``, its own process:
the real adapter, inbox, engine, outbox and rate limiter); the broadcast
handler queues one outbox message per member; the adapter delivers them right
after the commit.  The fake Bot API (this process) enforces Telegram's flood
limits (:class:`tests.fakes.telegram_limits.FloodLimits`): at most ``rate``
messages in any second overall and ``chat_rate`` per ``chat_period`` seconds
to one chat, a 429 with ``retry_after`` beyond.  The bot's limiter is set to
the same rates (``MENTORBOT_TELEGRAM_RATE_LIMIT`` in a real deployment).

``run(count=5000, rate=100)`` returns a dict with these keys:

- ``count``: recipients (members who get the broadcast);
- ``rate``: R, the overall limit the fake enforces (messages/s), and
  ``chat_rate``/``chat_period`` the per-chat one;
- ``achieved``: messages/s the fake accepted, first to last message;
- ``ratio``: ``achieved / rate`` (target >= 0.9);
- ``count_429``: requests the fake refused with 429 (target 0);
  ``refused_overall``/``refused_chat``: which limit they hit;
- ``delivered``: recipients who got the message; ``lost``: who got none
  (by the end: the broadcast handled and ten seconds without a new message);
  ``duplicates``: messages beyond one per recipient (targets 0 and 0);
- ``seconds``: from the update to the last message; ``handler_seconds``: from
  the update to the first message (the broadcast handler's own work);
- ``cpu_bot``: the bot process's CPU over the run, as a share of one core;
- ``verdict``: whether every target was met.

``render_markdown(result)`` gives the report's section.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import seed
from bench.stats import say
from bench.telegram_bench import Worker, _env, _proc_cpu, _wait_ready
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_limits import FloodLimits

FIRST_CHAT = 3_000_000
ORGANISER = 2_999_999
TARGET_RATIO = 0.9
MESSAGE = "Välkomna till uppstarten på fredag!"


def _prepare(path: Path, count: int) -> list[int]:
    """Turn the seeded people into Telegram members; add the organiser.
    Returns the recipients' chat ids."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute(
        "UPDATE identities SET platform = 'telegram', user_id = CAST(? + id AS TEXT),"
        " dm_chat_id = CAST(? + id AS TEXT)",
        (FIRST_CHAT, FIRST_CHAT),
    )
    organiser = count + 1
    conn.execute(
        "INSERT INTO people (id, display_name, language, timezone, created_at, consent_at,"
        " onboarded_at) VALUES (?, 'Olga', 'sv', 'Europe/Stockholm', ?, ?, ?)",
        (organiser, seed.NOW, seed.NOW, seed.NOW),
    )
    conn.execute(
        "INSERT INTO identities (id, person_id, platform, user_id, dm_chat_id)"
        " VALUES (?, ?, 'telegram', ?, ?)",
        (organiser, organiser, str(ORGANISER), str(ORGANISER)),
    )
    conn.execute(
        "INSERT INTO members (programme_id, person_id, name, role, joined_at)"
        " VALUES (1, ?, 'Olga', 'organiser', ?)",
        (organiser, seed.NOW),
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    chats = [FIRST_CHAT + pid for (pid,) in conn.execute("SELECT person_id FROM identities")]
    conn.close()
    return [c for c in chats if c != FIRST_CHAT + organiser]


async def _settle(fake: FakeTelegram, limits: FloodLimits, expected: int, until: float) -> None:
    seen, quiet_since = -1, time.monotonic()
    while limits.accepted < expected and time.monotonic() < until:
        if limits.accepted != seen:
            seen, quiet_since = limits.accepted, time.monotonic()
        elif time.monotonic() - quiet_since > 10:
            return
        await asyncio.sleep(0.1)


async def run(
    count: int = 5000,
    rate: int = 100,
    *,
    chat_rate: int = 1,
    chat_period: float = 1.0,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Broadcast to ``count`` members against a fake enforcing ``rate``/s."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="mentorbot-fanout-") as tmp:
            return await run(
                count, rate, chat_rate=chat_rate, chat_period=chat_period, workdir=Path(tmp)
            )
    path = await seed.template(workdir / "fanout.db", (count + 1) // 2)
    chats = _prepare(path, 2 * ((count + 1) // 2))
    count = len(chats)  # the seed makes pairs: an odd count gets one more
    url = f"sqlite+aiosqlite:///{path}"
    limits = FloodLimits(
        overall_rate=rate, overall_period=1.0, chat_rate=chat_rate, chat_period=chat_period
    )
    async with FakeTelegram() as fake:
        for chat in [*chats, ORGANISER]:
            fake.known_chat(chat)
        env = {
            **_env(fake, url, "polling"),
            "BENCH_RATE": str(rate),
            "BENCH_CHAT_RATE": str(chat_rate),
            "BENCH_CHAT_PERIOD": str(chat_period),
        }
        worker = await Worker.start("mentorbot", env, workdir / "fanout.log")
        try:
            await _wait_ready(fake, worker, "polling")
            fake.limits = limits
            say("fanout", f"/broadcast to {count:,} members; the fake allows {rate}/s")
            cpu = _proc_cpu(worker.proc.pid)
            started = time.monotonic()
            fake.inject_command(ORGANISER, "broadcast", MESSAGE, first_name="Olga")
            # Generous: a slow machine shows as a low rate, not as losses.
            within = count / (0.1 * rate) + 300
            handled = await worker.wait_done(1, within)
            # The scheduler's sweep may be sending some of them too: wait for
            # every recipient, or for ten seconds without a new message.
            await _settle(fake, limits, count + 1, started + within)
            ended = time.monotonic()
            cpu = _proc_cpu(worker.proc.pid) - cpu
        finally:
            await worker.stop()
        per_chat = Counter(s.chat_id for s in fake.sent if s.method == "sendmessage")
    delivered = sum(1 for chat in chats if per_chat[chat] >= 1)
    achieved = limits.achieved_rate()
    first = limits.times[0] if limits.times else ended
    last = limits.times[-1] if limits.times else ended
    result = {
        "count": count,
        "rate": rate,
        "chat_rate": chat_rate,
        "chat_period": chat_period,
        "achieved": achieved,
        "ratio": achieved / rate,
        "count_429": limits.refused,
        "refused_overall": limits.refused_overall,
        "refused_chat": limits.refused_chat,
        "delivered": delivered,
        "lost": count - delivered,
        "duplicates": sum(max(per_chat[chat] - 1, 0) for chat in chats),
        "handled": handled,
        "seconds": last - started,
        "handler_seconds": first - started,
        "cpu_bot": cpu / (ended - started) if ended > started else 0.0,
    }
    result["verdict"] = (
        result["ratio"] >= TARGET_RATIO
        and result["count_429"] == 0
        and result["lost"] == 0
        and result["duplicates"] == 0
    )
    say(
        "fanout",
        f"{achieved:.1f} messages/s of {rate} ({result['ratio']:.0%}), "
        f"{limits.refused} x 429, {result['lost']} lost, {result['duplicates']} twice",
    )
    return result


def render_markdown(r: dict[str, Any]) -> str:
    """The report's fan-out section."""
    if "error" in r:
        return f"## Fan-out\n\nNot measured: {r['error']}\n"
    ok = "met" if r["verdict"] else "**not met**"
    return "\n".join(
        [
            "## Fan-out: one broadcast to many, at the platform's rate",
            "",
            f"An organiser's `/broadcast` to {r['count']:,} members, through the real "
            "Telegram adapter, inbox, engine and outbox (the bot in its own process), against "
            f"a fake Bot API that allows at most {r['rate']} messages in any second and "
            f"{r['chat_rate']} per {r['chat_period']:g} s to one chat, answering 429 beyond. "
            "The bot's limiter is set to the same rates.",
            "",
            "| R (msgs/s) | achieved msgs/s | of R | 429s | lost | twice | "
            "handler s | total s | bot CPU |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {r['rate']} | {r['achieved']:.1f} | {r['ratio']:.0%} | {r['count_429']} | "
            f"{r['lost']} | {r['duplicates']} | {r['handler_seconds']:.1f} | "
            f"{r['seconds']:.1f} | {r['cpu_bot']:.0%} |",
            "",
            f"Target >= {TARGET_RATIO:.0%} of R, 0 x 429, 0 lost, 0 twice: {ok}.",
            "",
        ]
    )


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=100)
    args = parser.parse_args()
    out = asyncio.run(run(args.count, args.rate))
    print(json.dumps(out, indent=1))
    print(render_markdown(out))
