"""Nothing lost in or out, through the real adapter against the fake Bot API.

* A reply survives one 502 and then a storm of 429s on ``sendMessage``: it
  is in the outbox and retried (waiting as long as Telegram asks).
* A flood of 500 messages from one person leaves five others answered
  within 5 seconds: the flooder holds one handler, the excess is dropped
  unstored, and they are told to slow down once.
* The webhook refuses 50 MB bodies without the secret before reading them:
  the process's memory stays flat.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import Core
from bot.config import Settings
from bot.store.models import InboxUpdate, OutboxMessage
from tests.adapters.test_delivery_sigkill import bot_process
from tests.conftest import database_url
from tests.fakes.telegram_api import FakeTelegram

if TYPE_CHECKING:
    from tests.adapters.conftest import TgRunning

Run = Callable[[object, Settings], Awaitable["TgRunning"]]
ADA = 4242
FLOODER = 5151
OTHERS = [6001, 6002, 6003, 6004, 6005]


async def test_a_reply_survives_a_502_and_a_429_storm(
    tg_fake: FakeTelegram, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    core = await Core.open(tg_settings(scheduler_interval=0.2))  # real clock: retries wait
    try:
        await tg_run(core, tg_settings())
        stop = asyncio.Event()
        sweeping = asyncio.create_task(core.run_scheduler(stop))
        tg_fake.fail_next("sendMessage", status=502, description="Bad Gateway")
        tg_fake.fail_next("sendMessage", times=14, status=429, retry_after=1)
        started = time.monotonic()
        tg_fake.inject_command(ADA, "help")
        reply = await tg_fake.next_message(ADA, within=40)
        waited = time.monotonic() - started
        stop.set()
        await asyncio.wait_for(sweeping, 10)
        assert "/about" in (reply.text or "")
        await asyncio.sleep(0.3)
        assert len(tg_fake.messages_to(ADA)) == 1  # delivered once
        async with core.db.sessions() as s:
            row = (await s.scalars(select(OutboxMessage))).one()
        assert row.sent_at is not None and row.attempts >= 1  # the 502 was a failed attempt
        assert len(tg_fake.calls_of("sendMessage")) >= 16  # 502, 14 × 429, the success
        assert waited >= 2  # the storm's retry_after was waited out, not ignored
    finally:
        await core.close()


async def test_a_flood_from_one_person_leaves_others_answered_within_5_s(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    await tg_run(tg_core, tg_settings())
    for n in range(500):
        tg_fake.inject_message(FLOODER, f"flood {n}")
    started = time.monotonic()
    for user in OTHERS:
        tg_fake.inject_command(user, "help")
    answers = await asyncio.gather(*(tg_fake.next_message(u, within=5) for u in OTHERS))
    elapsed = time.monotonic() - started
    assert all("/about" in (a.text or "") for a in answers)
    assert elapsed < 5, elapsed
    await asyncio.sleep(1.0)
    to_flooder = [s.text or "" for s in tg_fake.messages_to(FLOODER)]
    slow_downs = [t for t in to_flooder if "fortare än jag hinner med" in t]
    assert len(slow_downs) == 1  # at most one "slow down" a minute
    async with tg_core.db.sessions() as s:
        stored = await s.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.sender == str(FLOODER))
        )
    assert stored is not None and stored < 100  # the excess was dropped, not stored


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def fifty_megabytes() -> AsyncIterator[bytes]:
    chunk = b"x" * (1024 * 1024)
    for _ in range(50):
        yield chunk


@pytest.mark.slow
async def test_webhook_bodies_without_the_secret_are_never_read(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    async with FakeTelegram() as fake:
        url = f"http://127.0.0.1:{port}/hook"
        env = {
            "MENTORBOT_DATABASE_URL": database_url(tmp_path),
            "MENTORBOT_TELEGRAM_TOKEN": fake.token,
            "MENTORBOT_TELEGRAM_API_URL": fake.url,
            "MENTORBOT_TELEGRAM_WEBHOOK_URL": url,
            "MENTORBOT_TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "MENTORBOT_TELEGRAM_WEBHOOK_SECRET": "s3cret",
            "PTB_TIMEDELTA": "1",
        }
        async with bot_process(tmp_path, env) as bot:
            await bot.start()
            await fake.wait_for_call("setWebhook", within=20)
            assert bot.proc is not None
            fake.inject_command(ADA, "help")  # a real update still gets through
            assert "/about" in ((await fake.next_message(ADA, within=10)).text or "")
            before = rss_kib(bot.proc.pid)
            statuses: list[int | str] = []
            async with aiohttp.ClientSession() as http:
                for secret in (None, "wrong", None, "wrong"):
                    headers = {"Content-Length": str(50 * 1024 * 1024)}
                    if secret:
                        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
                    try:
                        async with http.post(url, data=fifty_megabytes(), headers=headers) as r:
                            statuses.append(r.status)
                    except aiohttp.ClientError as exc:  # the server hung up unread
                        statuses.append(type(exc).__name__)
                headers = {
                    "X-Telegram-Bot-Api-Secret-Token": "s3cret",
                    "Content-Length": str(50 * 1024 * 1024),
                }
                try:
                    async with http.post(url, data=fifty_megabytes(), headers=headers) as r:
                        too_big: int | str = r.status
                except aiohttp.ClientError as exc:
                    too_big = type(exc).__name__
            after = rss_kib(bot.proc.pid)
            assert bot.alive()
        logs = bot.logs()
    assert all(s in (403, "ServerDisconnectedError", "ClientOSError") for s in statuses), statuses
    assert 403 in statuses
    assert too_big in (413, "ServerDisconnectedError", "ClientOSError"), too_big
    # 250 MB were offered; none of it was held.
    assert after - before < 20 * 1024, (before, after)
    assert "Traceback" not in logs, logs[-3000:]
