"""A large fan-out is never sent twice because a claim ran out.

An event's messages to others used to be claimed all at once inside its
transaction; a broadcast to 5,000 at Telegram's 30 messages/s takes nearly
three minutes, longer than a claim lasts, so the sweep took the waiting rest
and sent it again (the fan-out bench counted 1,403 doubles).  Now the event
holds at most ``HOLD_AT_MOST`` messages; the rest are claimed batch by batch
right before they are sent.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core import delivery
from bot.core.types import Address, Reply
from bot.store import outbox
from bot.store.models import OutboxMessage, Person
from tests.harness import Harness


async def test_an_event_holds_only_the_first_messages_and_sends_all_once(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "HOLD_AT_MOST", 2)
    await h.person("anna").says("/start")
    address = Address(h.transport.platform, "dm-anna", None, "dm")
    async with h.core.db.transaction() as s:
        pid = await s.scalar(select(Person.id))
        ids = [
            await outbox.enqueue(s, address, Reply(f"Nummer {n}"), h.clock.now(), person_id=pid)
            for n in range(5)
        ]
        await h.core.delivery.hold(s, [i for i in ids if i is not None], h.clock.now())
    async with h.core.db.sessions() as s:
        rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))).all()
        held = sorted(r.id for r in rows if r.claimed_until is not None)
    assert held == ids[:2]  # the rest waits unclaimed, so no claim can run out on it

    before = len(h.transport.sent)
    sent = await h.core.delivery.deliver_claimed([i for i in ids if i is not None])
    texts = [o.reply.text for o in h.transport.sent[before:]]
    assert sent == 5 and texts == [f"Nummer {n}" for n in range(5)]
    await h.tick()  # the sweep finds nothing left to send
    assert [o.reply.text for o in h.transport.sent[before:]] == texts
