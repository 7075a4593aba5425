"""The core's durable path (inbox, outbox-held replies) in memory, for the
stand-in cores of the adapter wiring tests.

The real core stores an update, handles it once, and holds its direct
replies for the adapter to deliver right after the commit; the stand-ins
answer from a small script instead (``handle``).  This mixin gives them the
same interface over ``handle`` and their first transport, so the wiring
tests exercise the adapters' real intake, edit and alert paths.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from bot.core.engine import Processed
from bot.core.ports import DeliveryError
from bot.core.types import Address, Event, Outgoing
from bot.store.inbox import Incoming


class StandInInbox:
    transports: list[Any]
    _stored: dict[str, int]
    _waiting: dict[int, tuple[Event, str | None]]

    async def handle(self, event: Any) -> list[Any]:
        raise NotImplementedError

    async def deliver_outbox(self) -> None:
        raise NotImplementedError

    async def mark_unreachable(self, platform: str, chat_id: str) -> None:
        raise NotImplementedError

    def _inbox(self) -> None:
        if not hasattr(self, "_stored"):
            self._stored = {}
            self._waiting = {}
            self._ids = itertools.count(1)
            self.marked_sent: list[int] = []
            self.slowed_down: list[Event] = []
            self.delivery_errors: list[DeliveryError]

    async def receive(self, items: Sequence[Incoming]) -> dict[str, int]:
        self._inbox()
        new: dict[str, int] = {}
        for item in items:
            if item.update_id in self._stored:
                continue
            inbox_id = self._stored[item.update_id] = next(self._ids)
            self._waiting[inbox_id] = (item.event, item.edit_ref)
            new[item.update_id] = inbox_id
        return new

    async def process(self, inbox_id: int, stored: Incoming | None = None) -> Processed:
        self._inbox()
        found = self._waiting.pop(inbox_id, None)
        if found is None:
            return Processed()
        event, edit_ref = found
        replies: list[tuple[int, Outgoing]] = []
        for out in await self.handle(event):
            ref = edit_ref if out.address == event.address and out.reply.replace else None
            if ref is not None:
                edit_ref = None
            routed = out
            if out.reply.private and out.address.kind == "group" and event.actor.dm_chat_id:
                routed = Outgoing(Address(out.address.platform, event.actor.dm_chat_id), out.reply)
            replies.append((next(self._ids) * 1000, Outgoing(out.address, out.reply, edit_ref=ref)))
            self._routes[replies[-1][0]] = routed.address
        return Processed(replies)

    @property
    def _routes(self) -> dict[int, Address]:
        if not hasattr(self, "_route_table"):
            self._route_table: dict[int, Address] = {}
        return self._route_table

    async def deliver_processed(self, processed: Processed, *, skip: Sequence[int] = ()) -> None:
        for msg_id, out in processed.replies:
            if msg_id in skip:
                continue
            target = Outgoing(
                self._routes.get(msg_id, out.address), out.reply, edit_ref=out.edit_ref
            )
            try:
                await self.transports[0].send(target)
            except DeliveryError as err:
                errors = getattr(self, "delivery_errors", None)
                if errors is not None:
                    errors.append(err)
                if err.permanent:
                    await self.mark_unreachable(out.address.platform, target.address.chat_id)
            finally:
                settle(self.transports[0])
        await self.deliver_outbox()

    async def mark_sent(self, ids: Sequence[int]) -> None:
        self._inbox()
        self.marked_sent.extend(ids)

    async def slow_down(self, event: Event) -> None:
        self._inbox()
        self.slowed_down.append(event)


def settle(transport: Any) -> None:
    """What the core's Delivery does once a send is recorded: let the
    transport's next message go (the Telegram send gate)."""
    settled = getattr(transport, "settled", None)
    if settled is not None:
        settled()
