"""Ports: the two things the core needs from the outside world.

The core reads time only through :class:`Clock` (so tests and the console can
move it) and sends proactive messages only through :class:`Transport`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.core.types import Address, Outgoing


class DeliveryError(Exception):
    """Raised by a transport when a message could not be delivered.

    ``permanent`` means retrying cannot help (the user blocked the bot, the
    chat is gone); ``retry_after`` is the server's own wait hint in seconds.
    """

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(Protocol):
    """Delivers one message to one address of the transport's platform.

    ``send`` returns the platform's id for the message that carries the
    reply's buttons (or None), so the core can later edit them away; a reply
    with ``clears`` set only removes the buttons of that earlier message."""

    platform: str

    async def send(self, out: Outgoing) -> str | None: ...


class ChatFactory(Protocol):
    """Creates a group chat only the given people (and the bot) can see.

    Used for circles: on Discord a members-only channel next to ``near``.
    Returns the new chat's address, or None when the bot lacks the right.
    """

    platform: str

    async def create_group_chat(
        self, near: Address, name: str, member_user_ids: list[str]
    ) -> Address | None: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; used by tests and the console."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class OffsetClock:
    """Real time plus an offset: the interactive console's clock, which `/wait` moves."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, when: datetime) -> None:
        self._offset = when.astimezone(UTC) - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta
