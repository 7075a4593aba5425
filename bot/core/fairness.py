"""Fair scheduling of incoming updates: one sender cannot stall the others.

Each sender has a small bounded queue and at most one handler at a time;
the handlers overall are a fixed pool.  A flooder therefore occupies one
handler whatever they send, the excess beyond their queue is dropped (and
answered with one "slow down" a minute, see :class:`Throttle`), and everyone
else's updates find a free handler at once.

This is flood protection, not domain state, so it lives in memory: each
worker schedules what it receives; what is dropped was never stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)

#: updates one sender may have waiting or running in one worker
PER_SENDER = 4
#: updates handled at once in one worker
HANDLERS = 32

Job = Callable[[], Awaitable[None]]


class FairQueue:
    """Per-sender FIFO queues drained by at most ``handlers`` jobs at once,
    at most one of them per sender."""

    def __init__(self, *, handlers: int = HANDLERS, per_sender: int = PER_SENDER) -> None:
        self.per_sender = per_sender
        self._slots = asyncio.Semaphore(handlers)
        self._queues: dict[Hashable, deque[Job]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, sender: Hashable, job: Job) -> bool:
        """Queue ``job`` behind the sender's earlier ones; ``False`` (and
        nothing queued) when the sender already has ``per_sender`` waiting."""
        queue = self._queues.get(sender)
        if queue is None:
            queue = self._queues[sender] = deque([job])
            task = asyncio.create_task(self._drain(sender, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return True
        if len(queue) >= self.per_sender:
            return False
        queue.append(job)
        return True

    def waiting(self, sender: Hashable) -> int:
        return len(self._queues.get(sender, ()))

    async def _drain(self, sender: Hashable, queue: deque[Job]) -> None:
        try:
            while queue:
                async with self._slots:
                    try:
                        await queue[0]()
                    except Exception:
                        log.exception("handling an update failed")
                queue.popleft()
        finally:
            del self._queues[sender]

    async def join(self, within: float) -> None:
        """Wait (up to ``within`` seconds) for what is queued; on shutdown."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within)


class Throttle:
    """Says yes once per ``period`` seconds per key (the table is bounded)."""

    MAX_KEYS = 10_000

    def __init__(self, period: float) -> None:
        self.period = period
        self._last: OrderedDict[Hashable, float] = OrderedDict()

    def first(self, key: Hashable, now: float) -> bool:
        """``now`` is a monotonic clock in seconds."""
        last = self._last.get(key)
        if last is not None and now - last < self.period:
            return False
        self._last.pop(key, None)
        self._last[key] = now
        if len(self._last) > self.MAX_KEYS:
            self._last.popitem(last=False)
        return True


class RateLimiter:
    """At most ``per_minute`` events per person per minute, a sliding window.

    A flood protection, not domain state, so it lives in memory: each worker
    counts what it sees; the table of senders is bounded.
    """

    MAX_SENDERS = 10_000

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def allow(self, who: tuple[str, str], now: float) -> bool:
        """``now`` is a monotonic clock in seconds: floods happen in real time,
        not on the simulated clock."""
        window = self._seen.pop(who, None) or deque()
        self._seen[who] = window
        while window and now - window[0] >= 60:
            window.popleft()
        if len(self._seen) > self.MAX_SENDERS:
            self._seen.popitem(last=False)
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True
