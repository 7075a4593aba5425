"""Outgoing rate limits for the Bot API.

PTB's :class:`~telegram.ext.AIORateLimiter` covers the group limit (20 per
minute) and waits out a 429 while holding back every other request, which is
what Telegram expects after a flood warning.  Its overall limit (about 30
messages per second) is a leaky bucket that lets nearly twice the rate arrive
within one second after a pause, and it has no per-chat limit for private
chats (about one message per second), so :class:`ChatRateLimiter` replaces
the one and adds the other, both as sliding windows
(:class:`~adapters.telegram.pacing.SlidingWindow`): a fan-out to thousands
of people goes at the overall rate without a single 429.

It also keeps the :class:`SendGate`: while the outbox delivers a message
(:data:`HOLD_UNTIL_SETTLED` is set), its message-creating request passes the
gate, and the gate stays closed until the outbox has recorded the message as
sent.  So one worker has at most one message that Telegram accepted and the
database does not yet know about -- the one a ``kill -9`` can repeat.  The
per-chat waits happen before the gate, so one person's pace never holds up
the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram.ext import AIORateLimiter

from adapters.telegram.pacing import SlidingWindow

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

#: Forget idle per-chat limiters once this many exist, so memory does not grow
#: with the number of people the bot ever talked to.
_MAX_IDLE_LIMITERS = 1024


#: Requests that create a message (the ones a resend would repeat).
GATED_ENDPOINTS = frozenset({"sendMessage", "sendDocument"})

#: Set by the transport while the outbox sends: gate the request, and keep
#: the gate closed until the outbox settles the message.
HOLD_UNTIL_SETTLED: ContextVar[bool] = ContextVar("hold_until_settled", default=False)


class SendGate:
    """One message in flight per worker, from the request to the record.

    Re-entrant for the task holding it (a long reply is several requests);
    released by :meth:`settle` once the outbox has recorded the outcome, or
    at once when Telegram refused the request (nothing was created)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    async def enter(self) -> bool:
        task = asyncio.current_task()
        if self._owner is task:
            return False
        await self._lock.acquire()
        self._owner = task
        return True

    def held(self) -> bool:
        """This task holds the gate: it made a message-creating request."""
        return self._owner is not None and self._owner is asyncio.current_task()

    def settle(self) -> None:
        if self._owner is not None and self._owner is asyncio.current_task():
            self._owner = None
            self._lock.release()


class ChatRateLimiter(AIORateLimiter):
    """AIORateLimiter with a sliding overall window and one per private chat.

    The defaults are Telegram's published limits; a per-chat window of 3 per
    3 seconds keeps the average at one a second while letting a reply of two
    or three messages go out without a pause.  Tests pass faster limits.
    """

    def __init__(
        self,
        *,
        overall_max_rate: float = 30,
        overall_time_period: float = 1,
        group_max_rate: float = 20,
        group_time_period: float = 60,
        chat_max_rate: float = 3,
        chat_time_period: float = 3,
        max_retries: int = 3,
    ) -> None:
        super().__init__(
            overall_max_rate=0,  # replaced by the sliding window below
            overall_time_period=0,
            group_max_rate=group_max_rate,
            group_time_period=group_time_period,
            max_retries=max_retries,
        )
        self._overall = (
            SlidingWindow(overall_max_rate, overall_time_period)
            if overall_max_rate and overall_time_period
            else None
        )
        self._chat_max_rate = chat_max_rate
        self._chat_time_period = chat_time_period
        self._chat_limiters: dict[int, SlidingWindow] = {}
        self.gate = SendGate()

    def _chat_limiter(self, chat_id: int) -> SlidingWindow:
        if len(self._chat_limiters) > _MAX_IDLE_LIMITERS:
            now = asyncio.get_running_loop().time()
            for key, limiter in list(self._chat_limiters.items()):
                if key != chat_id and limiter.idle(now):
                    del self._chat_limiters[key]
        if chat_id not in self._chat_limiters:
            self._chat_limiters[chat_id] = SlidingWindow(
                self._chat_max_rate, self._chat_time_period
            )
        return self._chat_limiters[chat_id]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        if self._overall is not None and data.get("chat_id") is not None:
            callback = self._paced(callback)
        if endpoint in GATED_ENDPOINTS and HOLD_UNTIL_SETTLED.get():
            callback = self._gated(callback)
        chat_id = _private_chat_id(data.get("chat_id"))
        if chat_id is None or not (self._chat_max_rate and self._chat_time_period):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        async with self._chat_limiter(chat_id):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

    def _paced(
        self, callback: Callable[..., Coroutine[Any, Any, JSONResult]]
    ) -> Callable[..., Coroutine[Any, Any, JSONResult]]:
        overall = self._overall
        assert overall is not None

        async def paced(*args: Any, **kwargs: Any) -> JSONResult:
            async with overall:
                return await callback(*args, **kwargs)

        return paced

    def _gated(
        self, callback: Callable[..., Coroutine[Any, Any, JSONResult]]
    ) -> Callable[..., Coroutine[Any, Any, JSONResult]]:
        async def gated(*args: Any, **kwargs: Any) -> JSONResult:
            took = await self.gate.enter()
            try:
                return await callback(*args, **kwargs)
            except BaseException:
                if took:  # refused or lost before an answer: try the next one
                    self.gate.settle()
                raise

        return gated


def _private_chat_id(value: object) -> int | None:
    """Private chats have positive ids; groups and channels negative ones."""
    try:
        chat_id = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return chat_id if chat_id > 0 else None
