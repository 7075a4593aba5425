"""Several `mentorbot run` workers on one PostgreSQL share the scheduler and the
outbox (FOR UPDATE SKIP LOCKED): 1,000 due messages, each delivered once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.store.db import Database, to_db
from bot.store.models import Job, OutboxMessage
from tests.conftest import database_url
from tests.fakes.telegram_api import FakeTelegram
from tests.seeding import insert_people

PEOPLE = 1000
WORKERS = 3
FIRST_USER = 500_000

pytestmark = pytest.mark.skipif(
    not os.environ.get("MENTORBOT_TEST_DATABASE_URL"),
    reason="needs PostgreSQL (MENTORBOT_TEST_DATABASE_URL); .ci/run provides one",
)


async def seed(url: str) -> None:
    db = Database(url)
    await db.upgrade()
    now = datetime.now(UTC) - timedelta(minutes=1)
    async with db.transaction() as s:
        chats = [str(FIRST_USER + i) for i in range(PEOPLE)]
        await insert_people(s, "telegram", chats, now)
        await s.execute(
            insert(Job),
            [
                {
                    "kind": "notice",
                    "due_at": to_db(now),
                    "key": f"n:{i}",
                    "person_id": i + 1,
                    "payload": {"key": "basics.fallback"},
                    "attempts": 0,
                }
                for i in range(PEOPLE)
            ],
        )
    await db.dispose()


async def test_three_workers_deliver_each_due_message_exactly_once(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    await seed(url)
    async with FakeTelegram() as fake:
        for i in range(PEOPLE):  # people who have talked to the bot before
            fake._chats[FIRST_USER + i] = {
                "id": FIRST_USER + i,
                "type": "private",
                "first_name": f"P{i}",
            }
        env = {
            **os.environ,
            "MENTORBOT_DATABASE_URL": url,
            "MENTORBOT_TELEGRAM_TOKEN": fake.token,
            "MENTORBOT_TELEGRAM_API_URL": fake.url,
            "MENTORBOT_TELEGRAM_RATE_LIMIT": "2000",
            "MENTORBOT_SCHEDULER_INTERVAL": "0.2",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=(tmp_path / f"w{n}.log").open("wb"),
            )
            for n in range(WORKERS)
        ]
        try:
            deadline = asyncio.get_running_loop().time() + 120
            while len(fake.calls_of("sendMessage")) < PEOPLE:
                assert asyncio.get_running_loop().time() < deadline, "not all delivered in time"
                assert all(p.returncode is None for p in procs), "a worker died"
                await asyncio.sleep(0.2)
            await asyncio.sleep(2)  # time for any duplicate to show up
        finally:
            for p in procs:
                if p.returncode is None:
                    p.send_signal(signal.SIGTERM)
            await asyncio.gather(*(asyncio.wait_for(p.wait(), 20) for p in procs))
        sent = Counter(int(c.params["chat_id"]) for c in fake.calls_of("sendMessage"))
    assert len(sent) == PEOPLE and set(sent.values()) == {1}
    logs = [(tmp_path / f"w{n}.log").read_text() for n in range(WORKERS)]
    assert all("Traceback" not in log for log in logs), logs
    db = Database(url)
    async with db.sessions() as s:
        assert (
            await s.scalar(select(func.count()).select_from(Job).where(Job.done_at.is_(None))) == 0
        )
        assert (
            await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_not(None))
            )
            == PEOPLE
        )
    await db.dispose()
