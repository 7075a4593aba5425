"""Idempotent writes in one statement each (issue 21): a job planned by key, an
outbox message by its idempotency key and a group's prompt at one moment are
written once, however often they are asked for, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.core.context import Work
from bot.core.types import Address, Choice, Reply
from bot.flows.attention import record_prompt
from bot.store import outbox
from bot.store.db import from_db
from bot.store.jobs import schedule
from bot.store.models import Group, Job, OutboxMessage, Programme, Prompt
from tests.conftest import START
from tests.harness import Harness


async def test_a_job_with_a_key_is_planned_once(h: Harness) -> None:
    async with h.core.db.transaction() as s:
        first = await schedule(s, "notice", START, key="k:1", payload={"round": "2"})
        again = await schedule(s, "notice", START, key="k:1", payload={"round": "3"})
        unkeyed = [await schedule(s, "notice", START) for _ in range(2)]
    assert first is not None and again is None
    assert None not in unkeyed and len(set(unkeyed)) == 2
    async with h.core.db.sessions() as s:
        job = await s.get(Job, first)
        assert job is not None
        assert job.payload == {"round": "2"} and job.attempts == 0 and job.done_at is None
        assert from_db(job.due_at) == START
        assert await s.scalar(select(func.count(Job.id)).where(Job.key == "k:1")) == 1


async def test_an_outbox_message_with_a_key_is_queued_once(h: Harness) -> None:
    address = Address("test", "42", None, "dm")
    reply = Reply("Hej", (Choice("x:1", "Ja"),))
    async with h.core.db.transaction() as s:
        first = await outbox.enqueue(s, address, reply, START, key="m:1", digest="t:1")
        again = await outbox.enqueue(s, address, Reply("Annat"), START, key="m:1")
    assert first is not None and again is None
    async with h.core.db.sessions() as s:
        row = await s.get(OutboxMessage, first)
        assert row is not None
        assert row.payload["text"] == "Hej" and row.payload["choices"] == [["x:1", "Ja"]]
        assert row.digest == "t:1" and row.sent_at is None and row.attempts == 0
        assert await s.scalar(select(func.count(OutboxMessage.id))) == 1


async def test_a_prompt_is_recorded_once_per_group_and_moment(h: Harness) -> None:
    async with h.core.db.transaction() as s:
        s.add(
            Programme(
                slug="p",
                name="P",
                goal="g",
                start_date=START.date(),
                end_date=START.date(),
                frequency_days=30,
                min_minutes=20,
                max_minutes=60,
                format="one_to_one",
                mode="online",
                language="sv",
                settings={},
                created_at=START.replace(tzinfo=None),
            )
        )
        await s.flush()
        programme_id = await s.scalar(select(Programme.id))
        group = Group(
            programme_id=programme_id,
            kind="pair",
            name="Par",
            status="active",
            created_at=START.replace(tzinfo=None),
            version=0,
        )
        s.add(group)
        await s.flush()
        work = Work(s, h.core.content, h.core.settings, START)
        await record_prompt(work, group.id, "checkin")
        await record_prompt(work, group.id, "meeting")
        later = Work(s, h.core.content, h.core.settings, START + timedelta(hours=1))
        await record_prompt(later, group.id, "checkin")
    async with h.core.db.sessions() as s:
        kinds = list((await s.scalars(select(Prompt.kind).order_by(Prompt.sent_at))).all())
    assert kinds == ["checkin", "checkin"]
