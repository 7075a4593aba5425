"""The durable inbox on the core: stored once, handled once, by one worker.

Runs on SQLite and, with ``MENTORBOT_TEST_DATABASE_URL``, on PostgreSQL
(where the row lock and ``SKIP LOCKED`` claims are what is being tested).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from bot.app import Core
from bot.config import load_settings
from bot.core.ports import FakeClock
from bot.core.types import Actor, Address, CommandIn
from bot.store.db import to_db
from bot.store.inbox import Incoming
from bot.store.models import InboxUpdate, OutboxMessage, Person
from tests.conftest import database_url

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class RecordingTransport:
    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, out: object) -> None:
        self.sent.append((out.address.chat_id, out.reply.text))  # type: ignore[attr-defined]


def language_en(user: int) -> Incoming:
    actor = Actor("telegram", str(user), f"P{user}", "sv", str(user))
    event = CommandIn(actor, Address("telegram", str(user)), "language", "en")
    return Incoming(f"u{user}", event)


async def open_core(url: str) -> tuple[Core, RecordingTransport]:
    core = await Core.open(load_settings(database_url=url), clock=FakeClock(START))
    transport = RecordingTransport()
    core.add_transport(transport)
    return core, transport


async def test_an_update_is_stored_once_and_two_workers_handle_it_once(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    one, sent_one = await open_core(url)
    two, sent_two = await open_core(url)
    try:
        users = list(range(100, 120))
        ids = await one.receive([language_en(u) for u in users])
        again = await two.receive([language_en(u) for u in users])  # a re-delivery
        assert len(ids) == len(users) and again == {}
        # Both workers race for every update.
        results = await asyncio.gather(
            *(core.process(i) for i in ids.values() for core in (one, two))
        )
        for core, result in zip([one, two] * len(ids), results, strict=True):
            await core.deliver_processed(result)
        answered = sent_one.sent + sent_two.sent
        assert sorted(chat for chat, _ in answered) == sorted(str(u) for u in users)
        async with one.db.sessions() as s:
            english = await s.scalar(
                select(func.count()).select_from(Person).where(Person.language == "en")
            )
            rows = (await s.scalars(select(InboxUpdate))).all()
            replies = await s.scalar(select(func.count()).select_from(OutboxMessage))
        assert english == len(users)
        assert all(r.outcome == "handled" and r.event == {} for r in rows)  # no words kept
        assert replies == len(users)
    finally:
        await one.close()
        await two.close()


async def test_handed_the_stored_update_two_workers_still_handle_it_once(tmp_path: Path) -> None:
    """The adapter that stored an update hands it to the core as it stored it
    (the row is not read back first): the mark at the start of the handling
    transaction alone decides which worker handles it, and the replies are
    delivered from the rows as written and marked sent."""
    url = database_url(tmp_path)
    one, sent_one = await open_core(url)
    two, sent_two = await open_core(url)
    try:
        items = [language_en(u) for u in range(200, 216)]
        ids = await one.receive(items)
        assert len(ids) == len(items)
        results = await asyncio.gather(
            *(core.process(ids[item.update_id], item) for item in items for core in (one, two))
        )
        assert sum(1 for r in results if r.replies) == len(items)  # one worker each
        for core, result in zip([one, two] * len(items), results, strict=True):
            await core.deliver_processed(result)
        answered = sent_one.sent + sent_two.sent
        assert sorted(chat for chat, _ in answered) == sorted(str(u) for u in range(200, 216))
        # handed again (a retried job): nothing happens, nothing is sent
        again = await one.process(ids[items[0].update_id], items[0])
        assert again.replies == [] and again.rows == []
        async with one.db.sessions() as s:
            rows = (await s.scalars(select(InboxUpdate))).all()
            unsent = await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))
            )
            replies = await s.scalar(select(func.count()).select_from(OutboxMessage))
        assert all(r.outcome == "handled" and r.event == {} for r in rows)
        assert replies == len(items) and unsent == 0
    finally:
        await one.close()
        await two.close()


async def test_what_a_dead_worker_stored_is_handled_by_the_sweep(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    dead, _ = await open_core(url)
    ids = await dead.receive([language_en(u) for u in range(200, 205)])
    await dead.close()  # stored, claimed, never handled
    core, sent = await open_core(url)
    try:
        assert await core.sweep_inbox() == 0  # the claim still holds
        async with core.db.transaction() as s:  # ... until it runs out
            await s.execute(
                update(InboxUpdate).values(claimed_until=to_db(START - timedelta(seconds=1)))
            )
        assert await core.scheduler.tick() == 0  # the tick sweeps the inbox first
        assert sorted(chat for chat, _ in sent.sent) == [str(u) for u in range(200, 205)]
        assert await core.sweep_inbox() == 0  # and only once
        for inbox_id in ids.values():
            assert (await core.process(inbox_id)).replies == []
    finally:
        await core.close()
