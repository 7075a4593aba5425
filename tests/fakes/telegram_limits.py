"""Telegram's flood limits, enforced by the fake Bot API when asked.

Telegram answers ``429 Too Many Requests`` with ``retry_after`` when a bot
sends faster than about 30 messages a second overall or about one a second
to one chat.  :class:`FloodLimits` enforces both on what arrives, as sliding
windows (at most ``overall_rate`` messages in any ``overall_period`` seconds,
at most ``chat_rate`` to one chat in any ``chat_period``), and counts what it
let through and what it refused, so a benchmark or a test can check that a
fan-out stayed within the rate.  Refused requests create nothing.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class FloodLimits:
    overall_rate: int = 30
    overall_period: float = 1.0
    chat_rate: int = 1
    chat_period: float = 1.0
    clock: Callable[[], float] = time.monotonic
    accepted: int = 0
    refused: int = 0
    refused_overall: int = 0
    refused_chat: int = 0
    #: arrival times of accepted messages (for the achieved rate)
    times: list[float] = field(default_factory=list, repr=False)
    _overall: deque[float] = field(default_factory=deque, repr=False)
    _chats: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque), repr=False)

    def admit(self, chat_id: int) -> int | None:
        """Count a message to ``chat_id``; ``None`` if allowed, else the
        ``retry_after`` seconds for the 429 (whole seconds, as Telegram gives)."""
        now = self.clock()
        overall = _trim(self._overall, now, self.overall_period)
        chat = _trim(self._chats[chat_id], now, self.chat_period)
        wait = 0.0
        if len(overall) >= self.overall_rate:
            wait = overall[0] + self.overall_period - now
            self.refused_overall += 1
        if len(chat) >= self.chat_rate:
            wait = max(wait, chat[0] + self.chat_period - now)
            self.refused_chat += 1
        if wait > 0:
            self.refused += 1
            return max(1, math.ceil(wait))
        overall.append(now)
        chat.append(now)
        self.accepted += 1
        self.times.append(now)
        return None

    def achieved_rate(self) -> float:
        """Accepted messages per second, from the first to the last arrival."""
        if len(self.times) < 2:
            return 0.0
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])


def _trim(window: deque[float], now: float, period: float) -> deque[float]:
    while window and window[0] <= now - period:
        window.popleft()
    return window
