"""Composition root: builds engine, store, clock, content, scheduler and delivery.

Adapters receive a :class:`Core` and do only translation and wiring:
``handle`` an event, send the direct replies, then ``deliver_outbox``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.config import Settings
from bot.content import Content, load_content
from bot.core.commands import CommandRegistry
from bot.core.delivery import Delivery
from bot.core.engine import Engine
from bot.core.ports import ChatFactory, Clock, SystemClock, Transport
from bot.core.scheduler import Scheduler
from bot.core.types import Event, Outgoing
from bot.flows.catalogue import build_flows
from bot.store.db import Database, to_db
from bot.store.models import Identity, Person
from bot.store.session import DbSession

log = logging.getLogger(__name__)


class Core:
    def __init__(self, settings: Settings, db: Database, content: Content, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.content = content
        self.clock = clock
        self.flows = build_flows()
        self.flows.commands.describe(content)
        self.engine = Engine(db, content, clock, settings, self.flows)
        self.delivery = Delivery(db, clock)
        self.delivery.on_unreachable = self._on_unreachable
        self.scheduler = Scheduler(db, clock, self.flows, content, settings, self.delivery)

    @classmethod
    async def open(cls, settings: Settings, clock: Clock | None = None) -> Core:
        """Load content (fails loudly on broken files), migrate, and build."""
        content = load_content(settings.content_dir)
        db = Database(settings.database_url)
        await db.upgrade()
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

    async def deliver_outbox(self) -> None:
        """Send what handled events queued for other people (after their commit)."""
        ids, self.engine.pending_outbox = self.engine.pending_outbox, []
        if ids:
            await self.delivery.deliver(ids)

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
