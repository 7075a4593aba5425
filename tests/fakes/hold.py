"""Stopping a fake server at the n-th message the bot sends, so a test can
kill the bot at a chosen point of a batch instead of at a random moment.

``accepted=True``: the fake creates and records the message first, then holds
its answer: the kill lands after the platform accepted the message and
before the bot heard so (the one message in flight).  ``accepted=False``:
the fake holds the request without looking at it and drops it on release,
as if the kill had come a moment before the request left the process: the
kill lands *between* two messages, after the previous one was answered and
marked sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass
class MessageHold:
    nth: int
    accepted: bool
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    #: what the held request asked for (filled in when it arrives)
    request: dict[str, Any] = field(default_factory=dict)

    async def wait_arrived(self, within: float) -> None:
        await asyncio.wait_for(self.arrived.wait(), within)

    def release(self) -> None:
        self.released.set()

    async def block(self, request: dict[str, Any]) -> None:
        """Called by the fake's handler: signal the arrival, wait for release."""
        self.request = request
        self.arrived.set()
        await self.released.wait()


class Holds:
    """The holds of one fake, counting the message requests it receives."""

    def __init__(self) -> None:
        self.count = 0
        self._holds: dict[int, MessageHold] = {}
        self._all: list[MessageHold] = []

    def add(self, nth: int, *, accepted: bool) -> MessageHold:
        if nth <= self.count:
            raise ValueError(f"message {nth} was already received ({self.count} so far)")
        hold = MessageHold(nth, accepted)
        self._holds[nth] = hold
        self._all.append(hold)
        return hold

    def next(self) -> MessageHold | None:
        """Count one more message request; its hold, if any."""
        self.count += 1
        return self._holds.pop(self.count, None)

    def release_all(self) -> None:
        """On shutdown: no handler may wait for a release that never comes."""
        for hold in self._all:
            hold.release()
