"""Incoming Discord events: stored in the core's inbox, scheduled fairly.

Every interaction and DM is stored (by its Discord id) before the core
handles it, from the store.  Handling runs in a :class:`~bot.core.fairness.FairQueue`:
one sender at most one handler at a time, a small queue per sender, and a
flooder's excess dropped unstored with one "slow down" a minute.  A handled
event keeps its sender's turn until its answer is out (:meth:`DiscordIntake.release`),
so one person's answers never overtake each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from bot.core.fairness import FairQueue, Throttle
from bot.core.types import Event
from bot.store.inbox import Incoming

#: how long a handled event keeps its sender's turn while its answer goes out
TURN_HOLD = 10.0


class DiscordIntake:
    def __init__(self, core: Any) -> None:
        self._core = core
        self.queue = FairQueue()
        self._warned = Throttle(60.0)
        self._answered: dict[int, asyncio.Event] = {}

    async def admit(self, update_id: str, event: Event) -> asyncio.Future[Any] | None:
        """Queue the event behind the sender's earlier ones and store it.

        Returns a future for what handling it left to deliver (``None`` when
        it had been stored before), or ``None`` at once when the sender is
        flooding: the event is dropped unstored, with one "slow down" a
        minute.  The job holds the sender's turn until the caller's
        :meth:`release`, so one person's answers never overtake each other."""
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[int | None] = loop.create_future()
        processed: asyncio.Future[Any] = loop.create_future()
        answered = asyncio.Event()
        self._answered[id(processed)] = answered

        async def job() -> None:
            try:
                inbox_id = await stored
                result = await self._core.process(inbox_id) if inbox_id is not None else None
            except BaseException as exc:
                if not processed.done():
                    processed.set_exception(exc)
                raise
            processed.set_result(result)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(answered.wait(), TURN_HOLD)

        sender = (event.actor.platform, event.actor.user_id)
        if not self.queue.submit(sender, job):
            self._answered.pop(id(processed), None)
            if self._warned.first(sender, time.monotonic()):
                await self._core.slow_down(event)
            return None
        try:
            ids = await self._core.receive([Incoming(update_id, event)])
        except BaseException as exc:
            stored.set_exception(exc)
            raise
        stored.set_result(ids.get(update_id))
        return processed

    def release(self, work: asyncio.Future[Any]) -> None:
        """The answer of ``work`` is out: the sender's next event may run."""
        answered = self._answered.pop(id(work), None)
        if answered is not None:
            answered.set()
