"""Sliding-window pacing: at most ``max_rate`` requests in any ``period``.

Telegram's flood limits ("about 30 messages a second", "about one a second
per chat") are counted on what arrives, and a leaky bucket that lets a full
bucket go at once and then refills lets nearly twice the rate arrive within
one second.  :class:`SlidingWindow` counts a request from when it is let
through until it is answered, and then remembers it for ``period`` from its
answer: a request cannot reach Telegram before it is let through nor after
it is answered, so no window of ``period`` (as Telegram sees it) holds more
than ``max_rate`` requests, however long each one waits on its way.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType


class SlidingWindow:
    """``async with window:`` waits for a slot; first come, first served."""

    def __init__(self, max_rate: float, period: float) -> None:
        self.max_rate = max(int(max_rate), 1)
        self.period = period
        self._done: deque[float] = deque()  # answer times within the last period
        self._in_flight = 0
        self._turn = asyncio.Lock()
        self._freed = asyncio.Event()

    def _forget(self, now: float) -> None:
        while self._done and self._done[0] <= now - self.period:
            self._done.popleft()

    def idle(self, now: float) -> bool:
        """Nothing in flight or remembered: the window may be dropped."""
        self._forget(now)
        return not self._done and not self._in_flight

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._turn:
            while True:
                now = loop.time()
                self._forget(now)
                if len(self._done) + self._in_flight < self.max_rate:
                    self._in_flight += 1
                    return
                if self._done:  # the oldest answer leaves the window first
                    await asyncio.sleep(self._done[0] + self.period - now)
                else:  # all in flight: wait for an answer, then for its window
                    self._freed.clear()
                    await self._freed.wait()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._in_flight -= 1
        self._done.append(asyncio.get_running_loop().time())
        self._freed.set()
