"""Delivered messages keep their words for a week, then only what the bot
still reads: the key (queueing stays idempotent), who and when, the digest."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.types import Address, Reply
from bot.store import outbox
from bot.store.models import OutboxMessage, Person
from bot.store.retention import OUTBOX_KEEP
from tests.conftest import START
from tests.harness import Harness


async def test_delivered_words_are_dropped_after_a_week_and_the_key_still_counts(
    h: Harness,
) -> None:
    await h.person("anna").says("/start")
    async with h.core.db.transaction() as s:
        pid = await s.scalar(select(Person.id))
        address = Address(h.transport.platform, "dm-anna", None, "dm")
        await outbox.enqueue(s, address, Reply("Hej Anna!"), START, person_id=pid, key="k:hello")
    await h.tick()
    assert [o.reply.text for o in h.transport.sent][-1] == "Hej Anna!"

    await h.wait(OUTBOX_KEEP - timedelta(hours=2))
    async with h.core.db.sessions() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.idem_key == "k:hello"))
        assert row is not None and row.payload["text"] == "Hej Anna!"  # a week: still there

    await h.wait(timedelta(hours=4))
    async with h.core.db.sessions() as s:
        rows = (await s.scalars(select(OutboxMessage))).all()
        assert rows and all(r.payload == {} for r in rows if r.sent_at is not None)
        kept = next(r for r in rows if r.idem_key == "k:hello")
        assert kept.person_id == pid and kept.sent_at is not None
    async with h.core.db.transaction() as s:
        again = await outbox.enqueue(s, address, Reply("Hej igen"), h.clock.now(), key="k:hello")
    assert again is None  # the key still makes queueing idempotent
    await h.tick()
    assert [o.reply.text for o in h.transport.sent].count("Hej Anna!") == 1
    assert "Hej igen" not in [o.reply.text for o in h.transport.sent]
