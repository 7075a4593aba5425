"""Runs due jobs from the database and sweeps the outbox.

A tick claims only what is due (an indexed range scan on ``jobs.due_at``), so
its cost follows what is due, not how many pairs exist.  A job's effects and
its ``done_at`` are committed in one transaction: after a crash a job either
ran completely or runs again, never half.  On PostgreSQL, claims use
``FOR UPDATE SKIP LOCKED`` so several workers share the work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from bot.config import Settings
from bot.content import Content
from bot.core.context import Work
from bot.core.delivery import Delivery
from bot.core.ports import Clock, FakeClock, OffsetClock
from bot.flows.registry import Flows
from bot.store.claims import claim
from bot.store.db import Database, from_db, to_db
from bot.store.models import Job

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=5)
MAX_JOB_ATTEMPTS = 5
#: run_until gives up after this many rounds at one simulated instant
MAX_ROUNDS = 100_000


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flows: Flows,
        content: Content,
        settings: Settings,
        delivery: Delivery,
    ):
        self.db = db
        self.clock = clock
        self.flows = flows
        self.content = content
        self.settings = settings
        self.delivery = delivery
        self._wake = asyncio.Event()
        #: run at the start of every tick (the core's inbox sweep)
        self.before_tick: list[Callable[[], Awaitable[int]]] = []

    def wake(self) -> None:
        self._wake.set()

    async def tick(self, limit: int = 500) -> int:
        """Run every due job (in batches), then deliver the outbox; returns jobs run.

        All jobs of a tick run at one moment (one ``now``) and their messages
        carry one digest mark, delivered together after the batch: what lands
        for one person at the same moment leaves as one message.
        """
        for sweep in self.before_tick:
            await sweep()
        ran = 0
        now = self.clock.now()
        digest = f"t:{now.isoformat()}"
        while True:
            jobs = await self._claim(limit)
            queued: list[int] = []
            for job in jobs:
                queued += await self._run(job, now, digest)
            if queued:
                await self.delivery.deliver(queued)
            ran += len(jobs)
            if len(jobs) < limit:
                break
        await self.delivery.deliver()
        return ran

    async def next_due(self) -> datetime | None:
        """When the next job can run: its due time, or later if it is claimed
        (a failed job waits out its backoff as a claim)."""
        ready = case(
            (Job.claimed_until.is_not(None) & (Job.claimed_until > Job.due_at), Job.claimed_until),
            else_=Job.due_at,
        )
        async with self.db.sessions() as session:
            value = await session.scalar(select(func.min(ready)).where(Job.done_at.is_(None)))
        return from_db(value) if value is not None else None

    async def run_until(self, target: datetime) -> int:
        """Move a fake clock to ``target``, firing every job at its own due time."""
        clock = self.clock
        if not isinstance(clock, FakeClock | OffsetClock):
            raise TypeError("run_until needs a clock that can be moved")
        ran = 0
        for _round in range(MAX_ROUNDS):
            due = await self.next_due()
            if due is None or due > target:
                break
            if due > clock.now():
                clock.set(due)
            ran += await self.tick()
        else:
            raise RuntimeError(f"jobs keep falling due at {clock.now()}: a job reschedules itself")
        if target > clock.now():
            clock.set(target)
        ran += await self.tick()
        return ran

    async def run(self, stop: asyncio.Event) -> None:
        """The loop `mentorbot run` starts: tick, then sleep until due or woken."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiter, stopper},
                timeout=self.settings.scheduler_interval,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()
            stopper.cancel()

    async def _claim(self, limit: int) -> list[Job]:
        now = to_db(self.clock.now())
        return await claim(
            self.db,
            Job,
            [Job.done_at.is_(None), Job.due_at <= now],
            [Job.due_at, Job.id],
            now=now,
            hold=CLAIM_FOR,
            limit=limit,
        )

    async def _run(self, job: Job, now: datetime, digest: str) -> list[int]:
        """Run one job in its own transaction; returns the outbox rows it queued."""
        handler = self.flows.jobs.get(job.kind)
        try:
            async with self.db.transaction() as session:
                work = Work(
                    session, self.content, self.settings, now, flows=self.flows, digest=digest
                )
                fresh = await session.get(Job, job.id)
                if fresh is None or fresh.done_at is not None:
                    return []  # cancelled, or another worker finished it
                if handler is None:
                    log.error("no handler for job kind %s", job.kind)
                else:
                    await handler(work, fresh)
                fresh.done_at = to_db(now)
                fresh.claimed_until = None
        except Exception:
            log.exception("job %s (%s) failed", job.id, job.kind)
            async with self.db.transaction() as session:
                fresh = await session.get(Job, job.id)
                if fresh is not None:
                    fresh.attempts += 1
                    if fresh.attempts >= MAX_JOB_ATTEMPTS:
                        fresh.done_at = to_db(now)
                    fresh.claimed_until = to_db(now + timedelta(minutes=2**fresh.attempts))
            return []
        return work.outbox_ids
