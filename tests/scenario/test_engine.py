"""Engine guarantees: one transaction per event, no lost updates, jobs once."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.app import Core
from bot.config import load_settings
from bot.core.commands import CommandSpec
from bot.core.context import Ctx
from bot.store.jobs import schedule
from bot.store.models import DialogState, Job, Person
from tests.conftest import START, database_url
from tests.harness import Harness, RecordingTransport


async def test_error_inside_a_handler_rolls_the_whole_event_back(h: Harness) -> None:
    anna = h.person("anna")
    await anna.says("/language en")

    async def explode(ctx: Ctx, _args: str) -> None:
        ctx.person.language = "sv"
        dialog = await ctx.dialog("boom")
        dialog.go("half-done", written=True)
        await ctx.save_dialogs()
        await schedule(ctx.session, "notice", ctx.now, person_id=ctx.person.id)
        raise RuntimeError("bug in a flow")

    h.core.commands.add(CommandSpec("boom", explode))
    replies = await anna.says("/boom")
    assert len(replies) == 1 and "went wrong" in replies[0].text  # still in English
    async with h.core.db.sessions() as s:
        person = await s.scalar(select(Person))
        assert person is not None and person.language == "en"
        assert await s.scalar(select(func.count()).select_from(DialogState)) == 0
        # the job the handler planned is gone (the stranger check planned when
        # anna was first seen, by an earlier event, is not this event's)
        assert (
            await s.scalar(select(func.count()).select_from(Job).where(Job.kind == "notice")) == 0
        )


async def _counting_core(tmp_path: Path, db_url: str) -> Core:
    core = await Core.open(load_settings(database_url=db_url), clock=_clock())

    async def count(ctx: Ctx, _args: str) -> None:
        dialog = await ctx.dialog("counter")
        seen = int(dialog.data.get("n", 0))
        await asyncio.sleep(0)  # give the other event a chance to interleave
        dialog.go("counting", n=seen + 1)
        ctx.reply(str(seen + 1))

    core.commands.add(CommandSpec("count", count))
    return core


def _clock():  # type: ignore[no-untyped-def]
    from bot.core.ports import FakeClock

    return FakeClock(START)


async def test_concurrent_events_for_one_person_lose_no_update(tmp_path: Path) -> None:
    """Two workers on one database, 40 interleaved events for one person."""
    url = database_url(tmp_path)
    first = await _counting_core(tmp_path, url)
    second = await _counting_core(tmp_path, url)
    from bot.core.types import Actor, Address, CommandIn

    who = Actor("test", "anna", "Anna")
    where = Address("test", "dm-anna")
    try:
        results = await asyncio.gather(
            *(
                (first if i % 2 else second).handle(CommandIn(who, where, "count"))
                for i in range(40)
            )
        )
        answers = sorted(int(r[0].reply.text) for r in results)
        assert answers == list(range(1, 41))
        async with first.db.sessions() as s:
            state = await s.scalar(select(DialogState).where(DialogState.conversation == "counter"))
            assert state is not None and state.data["n"] == 40
    finally:
        await first.close()
        await second.close()


async def test_jobs_due_while_stopped_are_delivered_once_after_start(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    h1 = await Harness.open(tmp_path, START, db_url=url)
    anna = h1.person("anna")
    await anna.says("/start")
    async with h1.core.db.transaction() as s:
        person_id = await s.scalar(select(Person.id))
        for hours in (1, 2, 3):
            await schedule(
                s,
                "notice",
                START + timedelta(hours=hours),
                key=f"notice:{hours}",
                person_id=person_id,
                payload={"key": "basics.fallback"},
            )
    await h1.close()  # the bot is stopped; time passes

    for restart in range(3):
        h2 = await Harness.open(tmp_path, START + timedelta(days=1), db_url=url)
        ran = await h2.tick()
        await h2.tick()
        assert ran == (3 if restart == 0 else 0)
        # run at one moment, the three catch up as one message (a digest, issue 23)
        assert len(h2.transport.sent) == (1 if restart == 0 else 0)
        if restart == 0:
            assert h2.transport.sent[0].reply.text.count("\n\n") >= 2
        await h2.close()


async def test_transient_delivery_errors_retry_and_permanent_ones_stop(h: Harness) -> None:
    from bot.core.ports import DeliveryError

    anna = h.person("anna")
    await anna.says("/start")
    async with h.core.db.transaction() as s:
        pid = await s.scalar(select(Person.id))
        await schedule(s, "notice", START, person_id=pid, payload={"key": "basics.fallback"})
    transport: RecordingTransport = h.transport
    transport.fail["dm-anna"] = DeliveryError("timeout", permanent=False)
    await h.tick()
    assert transport.sent == []
    del transport.fail["dm-anna"]
    await h.wait(timedelta(minutes=1))
    assert len(transport.sent) == 1  # retried after the backoff, delivered once

    transport.fail["dm-anna"] = DeliveryError("blocked", permanent=True)
    async with h.core.db.transaction() as s:
        await schedule(s, "notice", h.clock.now(), person_id=pid, payload={"key": "basics.error"})
    await h.tick()
    await h.wait(timedelta(days=1))
    assert len(transport.sent) == 1
    async with h.core.db.sessions() as s:
        person = await s.get(Person, pid)
        assert person is not None and person.unreachable_at is not None


async def test_a_failing_job_backs_off_and_never_hangs_the_clock(h: Harness) -> None:
    calls: list[object] = []

    async def broken(work, job):  # type: ignore[no-untyped-def]
        calls.append(work.now)
        raise RuntimeError("bug in a job")

    h.core.flows.on_job("broken", broken)
    async with h.core.db.transaction() as s:
        await schedule(s, "broken", START, key="broken:1")
    await asyncio.wait_for(h.wait(timedelta(days=1)), timeout=30)
    assert len(calls) == 5  # tried with growing pauses, then given up
    gaps = [b - a for a, b in itertools.pairwise(calls)]  # type: ignore[operator]
    assert gaps == sorted(gaps) and gaps[0] >= timedelta(minutes=2)
    async with h.core.db.sessions() as s:
        job = await s.scalar(select(Job).where(Job.key == "broken:1"))
        assert job is not None and job.done_at is not None and job.attempts == 5
