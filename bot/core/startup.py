"""Start-up against the outside world: bounded retries, then a clear failure.

A platform that does not answer at start (no network yet, a proxy not up) is
retried a few times with doubling pauses; after the last attempt start-up ends
with :class:`Unavailable`, which the CLI turns into one line and exit code 69,
so a service manager restarts the bot later instead of it hanging or
pretending to run.  A *rejected* token is no network trouble: adapters raise
:class:`~bot.config.ConfigError` for it at once (exit 78, no retries).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

#: the longest pause between two attempts, however many retries are configured
MAX_PAUSE = 60.0


class Unavailable(Exception):
    """A service stayed unreachable through every attempt; the message names the setting."""


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    transient: tuple[type[BaseException], ...],
    retries: int,
    backoff: float,
    setting: str,
    what: str,
) -> T:
    """Run ``attempt``; on a ``transient`` error wait and try again.

    ``retries`` more attempts after the first, pausing ``backoff`` seconds and
    doubling (at most :data:`MAX_PAUSE`).  Other errors pass through at once.
    """
    pause = backoff
    for number in range(retries + 1):
        try:
            return await attempt()
        except transient as exc:
            if number == retries:
                raise Unavailable(
                    f"{setting}: {what} did not answer after {retries + 1} attempt(s): "
                    f"{one_line(exc)}"
                ) from None
            log.warning("%s did not answer (%s); retrying in %.1f s", what, one_line(exc), pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
    raise AssertionError("unreachable")  # the loop always returns or raises


def one_line(exc: BaseException) -> str:
    """An exception as one short line (its type when it has no message)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
