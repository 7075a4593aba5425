"""Rows a batch of due jobs keeps back (issue 21): outbox messages given an id
ahead and written at the batch's end, as SQLite would have numbered them; a
statement in between writes them first (as an autoflush), so nothing in the
batch reads past them; a message whose key was there already is reported as
not added.  On PostgreSQL nothing is kept back: the same calls write at once."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.types import Address, Reply
from bot.store import batch_memo, outbox
from bot.store.models import OutboxMessage
from tests.conftest import START
from tests.harness import Harness

ADDRESS = Address("test", "42", None, "dm")


async def _count(h: Harness) -> int:
    async with h.core.db.sessions() as s:
        return int(await s.scalar(select(func.count(OutboxMessage.id))) or 0)


async def test_kept_back_messages_get_the_ids_sqlite_would_give(h: Harness) -> None:
    async with h.core.db.transaction() as s:
        before = await outbox.enqueue(s, ADDRESS, Reply("först"), START, key="kb:0")
        batch_memo.start_deferring(s)
        try:
            ids = [
                await outbox.enqueue(s, ADDRESS, Reply(f"nr {n}"), START, key=f"kb:{n}")
                for n in (1, 2, 3)
            ]
            await batch_memo.write_deferred(s)
        finally:
            skipped = batch_memo.stop_deferring(s)
    assert before is not None and skipped == set()
    assert ids == [before + 1, before + 2, before + 3]
    async with h.core.db.sessions() as s:
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(r.id, r.idem_key, r.payload["text"]) for r in rows] == [
        (before, "kb:0", "först"),
        *((i, f"kb:{n}", f"nr {n}") for i, n in zip(ids, (1, 2, 3), strict=True)),
    ]


async def test_a_statement_in_the_batch_finds_what_was_kept_back(h: Harness) -> None:
    async with h.core.db.transaction() as s:
        batch_memo.start_deferring(s)
        try:
            first = await outbox.enqueue(s, ADDRESS, Reply("ett"), START, key="kb:a")
            # any statement first writes what was kept back
            seen = await s.scalar(select(func.count(OutboxMessage.id)))
            second = await outbox.enqueue(s, ADDRESS, Reply("två"), START, key="kb:b")
            found = await s.get(OutboxMessage, second)
            await batch_memo.write_deferred(s)
        finally:
            batch_memo.stop_deferring(s)
    assert seen == 1
    assert found is not None and found.payload["text"] == "två"
    assert first is not None and second is not None and second > first
    assert await _count(h) == 2


async def test_a_kept_back_message_whose_key_exists_is_reported_skipped(h: Harness) -> None:
    async with h.core.db.transaction() as s:
        await outbox.enqueue(s, ADDRESS, Reply("original"), START, key="kb:same")
    async with h.core.db.transaction() as s:
        batch_memo.start_deferring(s)
        try:
            again = await outbox.enqueue(s, ADDRESS, Reply("igen"), START, key="kb:same")
            new = await outbox.enqueue(s, ADDRESS, Reply("ny"), START, key="kb:new")
            await batch_memo.write_deferred(s)
        finally:
            skipped = batch_memo.stop_deferring(s)
    if h.core.db.is_sqlite:  # given an id ahead, then found not added
        assert again is not None and skipped == {again}
    else:  # written at once: the insert itself says it added nothing
        assert again is None and skipped == set()
    assert new is not None and new not in skipped
    async with h.core.db.sessions() as s:
        texts = sorted(r.payload["text"] for r in (await s.scalars(select(OutboxMessage))).all())
    assert texts == ["ny", "original"]


async def test_nothing_is_kept_back_outside_a_batch(h: Harness) -> None:
    async with h.core.db.transaction() as s:
        assert await batch_memo.new_id(s, outbox.OUTBOX) is None
        msg = await outbox.enqueue(s, ADDRESS, Reply("direkt"), START, key="kb:now")
        assert msg is not None
        assert await s.get(OutboxMessage, msg) is not None
