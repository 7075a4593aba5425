"""Composition root: builds engine, store, clock, content, scheduler and delivery.

Adapters receive a :class:`Core` and do only translation and wiring:
``receive`` (store) an update before confirming it, ``process`` it from the
store, then ``deliver_processed`` (its replies and messages to others, all
from the outbox).  ``handle`` + ``deliver_outbox`` is the unstored path of
the console and the scenario tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from bot.config import Settings
from bot.content import Content, load_content
from bot.core.commands import CommandRegistry
from bot.core.delivery import Delivery
from bot.core.engine import Engine, Processed, language_of
from bot.core.ports import ChatFactory, Clock, SystemClock, Transport
from bot.core.scheduler import Scheduler
from bot.core.types import Event, Outgoing, Reply
from bot.flows.catalogue import LazyFlows
from bot.store import inbox, outbox
from bot.store.db import Database, to_db
from bot.store.inbox import Incoming
from bot.store.models import Identity, Person
from bot.store.session import DbSession

log = logging.getLogger(__name__)


class Core:
    def __init__(self, settings: Settings, db: Database, content: Content, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.content = content
        self.clock = clock
        # the flow modules load on first use, or in the warm-up after ready
        # (see bot.flows.catalogue): receiving updates needs none of them
        self.flows = LazyFlows(content)
        self.engine = Engine(db, content, clock, settings, self.flows)
        self.delivery = Delivery(db, clock)
        self.delivery.on_unreachable = self._on_unreachable
        self.engine.holding = self.delivery.holding
        self.scheduler = Scheduler(db, clock, self.flows, content, settings, self.delivery)
        self.scheduler.before_tick.append(self.sweep_inbox)

    @classmethod
    async def open(cls, settings: Settings, clock: Clock | None = None) -> Core:
        """Load content (fails loudly on broken files), migrate, and build."""
        content = load_content(settings.content_dir)
        db = Database(settings.database_url, synchronous=settings.sqlite_synchronous)
        try:
            await db.upgrade()
        except BaseException:
            await db.dispose()
            raise
        return cls(settings, db, content, clock or SystemClock())

    async def close(self) -> None:
        await self.db.dispose()

    @property
    def commands(self) -> CommandRegistry:
        return self.flows.commands

    def add_transport(self, transport: Transport) -> None:
        self.delivery.add_transport(transport)

    def add_chat_factory(self, factory: ChatFactory) -> None:
        """An adapter that can create members-only group chats (Discord)."""
        self.engine.chats[factory.platform] = factory

    async def handle(self, event: Event) -> list[Outgoing]:
        return await self.engine.handle(event)

    async def note_sent(self, out: Outgoing, ref: str | None) -> None:
        """An adapter sent a direct reply as platform message ``ref``."""
        await self.delivery.sent(out, ref)

    # -- the durable path: store, handle from the store, deliver -------------
    async def receive(self, items: Sequence[Incoming]) -> dict[str, int]:
        """Store incoming updates (before the platform is told they arrived);
        returns ``update_id -> inbox id`` for the new ones."""
        return await inbox.store(self.db, items, self.clock.now())

    async def process(self, inbox_id: int, stored: Incoming | None = None) -> Processed:
        """Handle a stored update once; its replies are in the outbox, held
        for this worker to deliver (:meth:`deliver_processed`).  ``stored``:
        the update as the caller just stored it (the row is then not read)."""
        known = (stored.event, stored.edit_ref) if stored is not None else None
        return await self.engine.process(inbox_id, known)

    async def deliver_processed(self, processed: Processed, *, skip: Sequence[int] = ()) -> None:
        """Right after the commit: the direct replies (except those the
        adapter delivered itself, ``skip``), then messages to others.  The
        replies' rows came back from the handling, so only the messages to
        others are read (they may be a fan-out, claimed batch by batch)."""
        written = {row.id: row for row in processed.rows}
        replies = [msg_id for msg_id, _ in processed.replies if msg_id not in skip]
        await self.delivery.deliver_rows([written[i] for i in replies if i in written])
        # (a reply whose row did not come back is read, as the others are)
        unknown = [i for i in replies if i not in written]
        if unknown:
            await self.delivery.deliver_claimed(unknown)
        if processed.reread:  # held, but changed after they were written
            await self.delivery.deliver_claimed(processed.reread)
        # messages to others: written claimed for this worker (as written), or
        # claimed as they go (a large fan-out)
        await self.delivery.deliver_written(processed.held, processed.later)

    async def mark_sent(self, ids: Sequence[int]) -> None:
        await self.delivery.mark_sent(list(ids))

    async def slow_down(self, event: Event) -> None:
        """Tell a flooding sender (whose update was dropped) to slow down."""
        lang = language_of(event.actor, self.settings.default_language)
        reply = Reply(self.content.t(lang, "basics.slow_down"), private=True)
        async with self.db.transaction() as session:
            msg_id = await outbox.enqueue(
                session,
                event.address,
                reply,
                self.clock.now(),
                dm=event.actor.dm_chat_id,
            )
        if msg_id is not None:
            await self.delivery.deliver([msg_id])

    async def sweep_inbox(self, limit: int = 200) -> int:
        """Handle what a dead worker stored and never handled (the scheduler
        calls this every tick, and so at start), on the platforms whose
        adapter runs here, so that the answers can go out at once."""
        handled = 0
        while True:
            platforms = list(self.delivery.transports)
            rows = await inbox.claim_stale(self.db, self.clock.now(), platforms, limit)
            for row in rows:
                processed = await self.engine.process(row.id)
                await self.deliver_processed(processed)
                handled += 1
            if len(rows) < limit:
                return handled

    async def deliver_outbox(self) -> None:
        """Send what handled events queued for other people (after their commit)."""
        rows, self.engine.pending_rows = self.engine.pending_rows, []
        later, self.engine.pending_later = self.engine.pending_later, []
        reread, self.engine.pending_reread = self.engine.pending_reread, []
        self.engine.pending_edits = []
        if reread:  # held, but changed after they were written: read back
            await self.delivery.deliver_claimed(reread)
        if rows or later:  # claimed as the events' transactions wrote them
            await self.delivery.deliver_written(rows, later)

    async def deliver_edits(self) -> None:
        """Send only the edits handled events queued that take the buttons off
        earlier messages (an answered question first loses its buttons, then
        the answer follows, as on Telegram); the rest waits for
        :meth:`deliver_outbox`."""
        edits, self.engine.pending_edits = set(self.engine.pending_edits), []
        if edits:
            engine = self.engine
            rows = [row for row in engine.pending_rows if row.id in edits]
            later = [i for i in engine.pending_later if i in edits]
            engine.pending_rows = [row for row in engine.pending_rows if row.id not in edits]
            engine.pending_later = [i for i in engine.pending_later if i not in edits]
            await self.delivery.deliver_written(rows, later)  # claimed as written

    async def mark_unreachable(self, platform: str, chat_id: str) -> None:
        """A transport learned a person cannot be reached (blocked the bot, left)."""
        from sqlalchemy import select

        follow_up: list[int] = []
        async with self.db.transaction() as session:
            person = await session.scalar(
                select(Person)
                .join(Identity, Identity.person_id == Person.id)
                .where(
                    Identity.platform == platform,
                    (Identity.dm_chat_id == chat_id) | (Identity.user_id == chat_id.lstrip("u")),
                )
            )
            if person is not None and person.unreachable_at is None:
                now = self.clock.now()
                person.unreachable_at = to_db(now)
                follow_up = await self._on_unreachable(session, person.id, now)
        if follow_up:
            await self.delivery.deliver(follow_up)

    async def run_scheduler(self, stop: asyncio.Event) -> None:
        await self.scheduler.run(stop)

    async def _on_unreachable(self, session: DbSession, person_id: int, now: datetime) -> list[int]:
        hook = self.flows.jobs.get("_unreachable")
        if hook is None:
            return []
        from bot.core.context import Work
        from bot.store.models import Job

        work = Work(session, self.content, self.settings, now)
        await hook(work, Job(kind="_unreachable", person_id=person_id, payload={}))
        return work.outbox_ids
