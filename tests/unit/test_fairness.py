"""The fair queue: one sender in order and on one handler; others go past."""

from __future__ import annotations

import asyncio

from bot.core.fairness import FairQueue, Throttle


async def test_one_sender_is_served_in_order_while_others_proceed() -> None:
    queue = FairQueue(handlers=4, per_sender=3)
    log: list[str] = []
    release = asyncio.Event()

    def slow(name: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            log.append(f"{name}+")
            await release.wait()
            log.append(f"{name}-")

        return run

    def fast(name: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            log.append(name)

        return run

    assert queue.submit("ada", slow("a1"))
    assert queue.submit("ada", fast("a2"))
    assert queue.submit("bo", fast("b1"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert log == ["a1+", "b1"]  # Bo is not held up; Ada's second waits for her first
    release.set()
    await asyncio.wait_for(queue.join(2), 3)
    assert log == ["a1+", "b1", "a1-", "a2"]
    assert queue.waiting("ada") == 0 and queue._queues == {}  # no memory per idle sender


async def test_a_flooder_occupies_one_handler_and_the_excess_is_refused() -> None:
    queue = FairQueue(handlers=2, per_sender=3)
    running: dict[str, int] = {"flood": 0, "max": 0}
    gate = asyncio.Event()
    served: list[str] = []

    async def flood() -> None:
        running["flood"] += 1
        running["max"] = max(running["max"], running["flood"])
        await gate.wait()
        running["flood"] -= 1

    accepted = [queue.submit("flooder", flood) for _ in range(500)]
    assert accepted.count(True) == 3 and accepted[:3] == [True, True, True]

    async def other() -> None:
        served.append("x")

    for n in range(5):
        assert queue.submit(f"user{n}", other)
    for _ in range(50):
        await asyncio.sleep(0)
    assert served == ["x"] * 5  # the flooder holds one of two handlers, not both
    assert running["max"] == 1
    gate.set()
    await asyncio.wait_for(queue.join(2), 3)


def test_throttle_says_yes_once_a_period() -> None:
    throttle = Throttle(60.0)
    assert throttle.first("a", 0.0)
    assert not throttle.first("a", 59.0)
    assert throttle.first("b", 59.0)
    assert throttle.first("a", 60.5)
