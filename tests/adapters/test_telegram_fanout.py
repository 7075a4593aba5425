"""A fan-out at Telegram's rate: the real adapter against a fake that enforces it.

The fake Bot API answers 429 to any message beyond ``RATE`` in one second
overall or beyond one per ``CHAT_PERIOD`` to one chat
(:class:`tests.fakes.telegram_limits.FloodLimits`).  The outbox holds one
message for each of 200 people and two more for 20 of them (queued right
behind their first, the worst case for one chat's pace holding up the
others).  The adapter's limiter, set to the same rates, must deliver every
message once, each chat's in order, without a single 429.  (How fast is
measured in ``bench/fanout_bench.py``, not asserted here.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

from adapters.telegram.ratelimit import ChatRateLimiter
from bot.config import Settings
from bot.core.types import Address, Reply
from bot.store import outbox
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_limits import FloodLimits

if TYPE_CHECKING:
    from tests.adapters.conftest import TgRunning

Run = Callable[[object, Settings], Awaitable["TgRunning"]]
RATE = 40
CHAT_PERIOD = 0.5
PEOPLE = [5_000_000 + i for i in range(200)]
BUSY = PEOPLE[:20]  # three messages each


@pytest.fixture
def tg_fast_limiter() -> Callable[[], ChatRateLimiter]:
    """The limits the fake enforces (overrides the fast one of conftest)."""
    return lambda: ChatRateLimiter(
        overall_max_rate=RATE, chat_max_rate=1, chat_time_period=CHAT_PERIOD
    )


async def test_a_fan_out_to_200_people_meets_the_limits_loses_nothing_and_repeats_nothing(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    await tg_run(tg_core, tg_settings())
    tg_fake.limits = FloodLimits(overall_rate=RATE, chat_rate=1, chat_period=CHAT_PERIOD)
    expected: dict[int, list[str]] = {}
    async with tg_core.db.transaction() as session:
        for chat in PEOPLE:
            tg_fake.known_chat(chat)
            expected[chat] = [f"{chat}: {n}" for n in range(3 if chat in BUSY else 1)]
            for text in expected[chat]:
                await outbox.enqueue(
                    session,
                    Address("telegram", str(chat)),
                    Reply(text),
                    tg_core.clock.now(),
                    key=f"fanout:{text}",
                )

    sent = await tg_core.delivery.deliver()  # the scheduler's sweep

    assert tg_fake.limits.refused == 0  # not one 429
    got = {chat: [s.text for s in tg_fake.messages_to(chat)] for chat in PEOPLE}
    assert got == expected  # nothing lost, nothing twice, each chat in order
    assert sent == sum(len(texts) for texts in expected.values()) == 240
    assert tg_fake.limits.accepted == 240
