"""Runs due jobs from the database and sweeps the outbox.

A tick claims only what is due (an indexed range scan on ``jobs.due_at``), so
its cost follows what is due, not how many pairs exist.  A job's effects and
its ``done_at`` are committed in one transaction: after a crash a job either
ran completely or runs again, never half.  Jobs run in small batches, one
transaction per batch and a savepoint per job: a job that fails is rolled
back alone (and counted for its backoff) while the others commit, and a
commit costs one disk flush per batch instead of one per job.  On PostgreSQL, claims use
``FOR UPDATE SKIP LOCKED`` so several workers share the work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, bindparam, case, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value

from bot.config import Settings
from bot.content import Content
from bot.core.context import Work
from bot.core.delivery import Delivery
from bot.core.ports import Clock, FakeClock, OffsetClock
from bot.flows.registry import Flows, JobPreload
from bot.store import batch_memo
from bot.store.claims import claim
from bot.store.db import Database, from_db, to_db
from bot.store.jobs import JOBS
from bot.store.models import Group, Job, Programme
from bot.store.retention import compact_delivered_outbox, purge_closed_questions
from bot.store.retention_keys import move_delivered_outbox, move_done_jobs
from bot.store.session import DbSession

log = logging.getLogger(__name__)

#: a finished job, marked in one prebuilt statement (no unit-of-work flush)
_DONE = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job_id"))
    .values(done_at=bindparam("done_at", type_=DateTime), claimed_until=None)
)
#: a batch of jobs that ran together, marked in one statement
_ALL_DONE = (
    update(JOBS)
    .where(JOBS.c.id.in_(bindparam("job_ids", expanding=True)))
    .values(done_at=bindparam("done_at", type_=DateTime), claimed_until=None)
)

CLAIM_FOR = timedelta(minutes=5)
MAX_JOB_ATTEMPTS = 5
#: run_until gives up after this many rounds at one simulated instant
MAX_ROUNDS = 100_000
#: jobs run in one transaction (each in its own savepoint, or a batch of
#: feedback rounds together): a batch pays its reads ahead, its writes and its
#: commit once, so fewer batches cost less per job (50 took about a third less
#: CPU per check-in than 20); small enough that a batch of check-ins holds
#: SQLite's write turn for some tens of milliseconds, and that its messages
#: (two per check-in) are all held in its transaction (``Delivery.hold``)
JOBS_PER_TRANSACTION = 50
#: how often a tick also drops the words of long-delivered messages
COMPACT_EVERY = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def moment_mark(now: datetime) -> str:
    """The digest mark of one tick's moment: ``t:`` and the moment in
    microseconds since 1970, in hex.  Every delivered message keeps it for
    good (the organisers' message measure counts a digest as one message), so
    it is short: 15 characters where an ISO timestamp took up to 34."""
    return f"t:{(now - EPOCH) // timedelta(microseconds=1):x}"


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
        #: when the next tick compacts the outbox (at the first tick after start)
        self._compact_at: datetime | None = None

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
        digest = moment_mark(now)
        while True:
            jobs = await self._claim(limit)
            queued: list[int] = []
            for start in range(0, len(jobs), JOBS_PER_TRANSACTION):
                queued += await self.run_jobs(
                    jobs[start : start + JOBS_PER_TRANSACTION], now, digest
                )
            if queued:
                await self.delivery.deliver_claimed(queued)
            ran += len(jobs)
            if len(jobs) < limit:
                break
        await self.delivery.deliver()
        if self._compact_at is None or now >= self._compact_at:
            async with self.db.transaction() as session:
                await purge_closed_questions(session, now)
            # what is still read of old messages and jobs moves to slim tables;
            # rows that cannot move only lose their words
            await move_delivered_outbox(self.db, now)
            await move_done_jobs(self.db, now)
            async with self.db.transaction() as session:
                await compact_delivered_outbox(session, now)
            self._compact_at = now + COMPACT_EVERY
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

    async def run_jobs(self, jobs: list[Job], now: datetime, digest: str) -> list[int]:
        """Run claimed jobs in one transaction, each in a savepoint; returns
        the outbox rows they queued.  If the batch cannot commit, every job
        runs again on its own, so one bad job never holds the others back.

        A batch of one kind that has a preload (``Flows.on_job(preload=...)``)
        runs together instead: its reads made ahead in a few queries, no
        savepoint per job, one statement marking them all done.  If any of
        them fails, the whole batch is rolled back and every job runs again
        on its own, as above: the failing one is then counted alone."""
        if not jobs:
            return []
        together = False
        try:
            async with self.db.transaction() as session:
                rows = await session.scalars(select(Job).where(Job.id.in_([j.id for j in jobs])))
                fresh_by_id = {row.id: row for row in rows}
                held = await _load_groups(session, list(fresh_by_id.values()))
                todo = [
                    fresh
                    for job in jobs
                    if (fresh := fresh_by_id.get(job.id)) is not None and fresh.done_at is None
                ]  # (the others were cancelled, or another worker finished them)
                preload = self._preload_for(todo)
                if preload is not None:
                    together = True
                    queued = await self._run_together(session, todo, now, digest, preload)
                else:
                    queued = []
                    for fresh in todo:
                        queued += await self._run_one(session, fresh, now, digest)
                # the tick sends these right after the commit; claimed here, not apart
                await self.delivery.hold(session, queued, now)
                del held
        except Exception as exc:
            if not together and not isinstance(exc, DBAPIError):
                raise
            if together:
                log.warning("a batch of %d jobs failed; running them one by one", len(jobs))
                queued = []
                for job in jobs:
                    queued += await self.run_jobs([job], now, digest)
                return queued
            if len(jobs) == 1:
                log.exception("job %s (%s) failed", jobs[0].id, jobs[0].kind)
                await self._failed(jobs[0].id, now)
                return []
            log.warning("a batch of %d jobs could not commit; running them one by one", len(jobs))
            queued = []
            for job in jobs:
                queued += await self.run_jobs([job], now, digest)
        return queued

    def _preload_for(self, jobs: list[Job]) -> JobPreload | None:
        """The preload of a batch that may run together: two or more jobs,
        all of one kind that has a preload."""
        if len(jobs) < 2 or len({job.kind for job in jobs}) != 1:
            return None
        return self.flows.job_preloads.get(jobs[0].kind)

    async def _run_together(
        self, session: DbSession, jobs: list[Job], now: datetime, digest: str, preload: JobPreload
    ) -> list[int]:
        """Jobs of one kind, their reads made ahead, in the batch's transaction
        without a savepoint each (a failure fails the batch: see run_jobs)."""
        handler = self.flows.jobs[jobs[0].kind]
        queued: list[int] = []
        try:
            await preload(self._work(session, now, digest), jobs)
            batch_memo.start_deferring(session)
            for job in jobs:
                work = self._work(session, now, digest)
                await handler(work, job)
                await session.flush()
                queued += work.outbox_ids
            await batch_memo.write_deferred(session)
        finally:
            batch_memo.drop(session)
            skipped = batch_memo.stop_deferring(session)
        if skipped:  # messages whose key was there already: nothing to send
            queued = [msg_id for msg_id in queued if msg_id not in skipped]
        await session.execute(
            _ALL_DONE, {"job_ids": [job.id for job in jobs], "done_at": to_db(now)}
        )
        for job in jobs:
            set_committed_value(job, "done_at", to_db(now))
            set_committed_value(job, "claimed_until", None)
        return queued

    def _work(self, session: DbSession, now: datetime, digest: str) -> Work:
        return Work(session, self.content, self.settings, now, flows=self.flows, digest=digest)

    async def _run_one(self, session: DbSession, job: Job, now: datetime, digest: str) -> list[int]:
        """One job inside the batch's transaction, in its own savepoint."""
        work = self._work(session, now, digest)
        handler = self.flows.jobs.get(job.kind)
        try:
            async with session.begin_nested():
                if handler is None:
                    log.error("no handler for job kind %s", job.kind)
                else:
                    await handler(work, job)
                await session.flush()  # the job's own writes, failing inside its savepoint
                await session.execute(_DONE, {"job_id": job.id, "done_at": to_db(now)})
                set_committed_value(job, "done_at", to_db(now))
                set_committed_value(job, "claimed_until", None)
        except Exception:
            log.exception("job %s (%s) failed", job.id, job.kind)
            _count_failure(job, now)
            return []
        return work.outbox_ids

    async def _failed(self, job_id: int, now: datetime) -> None:
        async with self.db.transaction() as session:
            fresh = await session.get(Job, job_id)
            if fresh is not None:
                _count_failure(fresh, now)


async def _load_groups(session: DbSession, jobs: list[Job]) -> list[object]:
    """The batch's groups and their programmes, in two queries instead of two per
    job: while the returned list holds them, the session's identity map answers
    the jobs' ``session.get(Group, ...)`` and ``session.get(Programme, ...)``
    without a statement.  They are read in the batch's own transaction, so
    nothing is served from an earlier one."""
    group_ids = sorted({job.group_id for job in jobs if job.group_id is not None})
    if not group_ids:
        return []
    groups = list((await session.scalars(select(Group).where(Group.id.in_(group_ids)))).all())
    programme_ids = sorted({group.programme_id for group in groups})
    programmes = list(
        (await session.scalars(select(Programme).where(Programme.id.in_(programme_ids)))).all()
    )
    return [*groups, *programmes]


def _count_failure(job: Job, now: datetime) -> None:
    """A failed job waits out a growing backoff (as a claim), and is given up after
    MAX_JOB_ATTEMPTS."""
    job.attempts += 1
    if job.attempts >= MAX_JOB_ATTEMPTS:
        job.done_at = to_db(now)
    job.claimed_until = to_db(now + timedelta(minutes=2**job.attempts))
