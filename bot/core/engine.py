"""The engine: one event in, replies out, in one database transaction.

``handle`` is the Bot Framework "turn": load the person and their state, run
the flow step, save, commit.  If anything inside raises, the whole event rolls
back and the person gets a short apology in their language; if another event
for the same person won a race (stale dialog version, SQLite busy), the event
is simply run again on fresh state.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections import OrderedDict, deque
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot.config import Settings
from bot.content import Content
from bot.core.commands import CommandRegistry
from bot.core.context import Ctx, StaleState
from bot.core.ports import ChatFactory, Clock
from bot.core.questions import settle_replies
from bot.core.types import Actor, ChoiceIn, CommandIn, Event, Outgoing, Reply, TextIn
from bot.flows.registry import Flows
from bot.store.db import Database, to_db
from bot.store.models import DialogState, Identity, Member, Person

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_TEXT = 2000


class Engine:
    def __init__(
        self, db: Database, content: Content, clock: Clock, settings: Settings, flows: Flows
    ):
        self.db = db
        self.content = content
        self.clock = clock
        self.settings = settings
        self.flows = flows
        #: outbox rows written by handled events, waiting for delivery after commit
        self.pending_outbox: list[int] = []
        #: platform -> ChatFactory, registered by adapters that can create chats
        self.chats: dict[str, ChatFactory] = {}
        self.limiter = RateLimiter(settings.messages_per_minute)

    @property
    def commands(self) -> CommandRegistry:
        return self.flows.commands

    async def handle(self, event: Event) -> list[Outgoing]:
        lang = _language_of(event.actor, self.settings.default_language)
        if not self.limiter.allow((event.actor.platform, event.actor.user_id), time.monotonic()):
            return [Outgoing(event.address, Reply(self.content.t(lang, "basics.slow_down")))]
        for attempt in range(MAX_ATTEMPTS):
            ctx: Ctx | None = None
            try:
                async with self.db.transaction() as session:
                    ctx = await self._context(session, event)
                    lang = ctx.lang
                    await self._dispatch(ctx)
                    ctx.replies = await settle_replies(
                        ctx.questions, event, ctx.person.id, ctx.replies
                    )
                    await ctx.save_dialogs()
                self.pending_outbox.extend(ctx.outbox_ids)
                return ctx.replies
            except (StaleState, IntegrityError) as exc:
                if isinstance(exc, IntegrityError) and not _is_conflict(exc):
                    log_failure(event, exc)
                    break
                log.info("retrying event after concurrent update (%s)", type(exc).__name__)
            except (OperationalError, DBAPIError) as exc:
                if not _is_transient(exc):
                    log_failure(event, exc)
                    break
                log.info("database busy, retrying event")
            except Exception as exc:
                log_failure(event, exc)
                break
            await asyncio.sleep(min(0.01 * 2**attempt, 0.5))
        return [Outgoing(event.address, Reply(self.content.t(lang, "basics.error")))]

    # -- loading ---------------------------------------------------------
    async def _context(self, session, event: Event) -> Ctx:  # type: ignore[no-untyped-def]
        now = self.clock.now()
        actor = event.actor
        stmt = (
            select(Identity, Person)
            .join(Person, Person.id == Identity.person_id)
            .where(Identity.platform == actor.platform, Identity.user_id == actor.user_id)
        )
        if not self.db.is_sqlite:
            # One event per person at a time: a second event waits here and then
            # reads what the first committed (SQLite gets this from BEGIN IMMEDIATE).
            stmt = stmt.with_for_update(of=Person)
        row = (await session.execute(stmt)).first()
        if row is None:
            person = Person(
                display_name=actor.display_name[:128] or actor.user_id,
                language=_language_of(actor, self.settings.default_language),
                timezone=self.settings.default_timezone,
                created_at=to_db(now),
            )
            session.add(person)
            await session.flush()
            identity = Identity(person_id=person.id, platform=actor.platform, user_id=actor.user_id)
            session.add(identity)
        else:
            identity, person = row
        if event.address.kind == "dm" and identity.dm_chat_id != event.address.chat_id:
            identity.dm_chat_id = event.address.chat_id
        elif identity.dm_chat_id is None and actor.dm_chat_id:
            identity.dm_chat_id = actor.dm_chat_id
        if person.unreachable_at is not None:
            person.unreachable_at = None  # they wrote to us, so they can be reached again
        await session.flush()
        return Ctx(
            session,
            self.content,
            self.settings,
            now,
            event,
            person,
            identity,
            flows=self.flows,
            chats=dict(self.chats),
        )

    # -- dispatching -----------------------------------------------------
    async def _dispatch(self, ctx: Ctx) -> None:
        event = ctx.event
        if isinstance(event, CommandIn):
            await self._command(ctx, event)
        elif isinstance(event, ChoiceIn):
            await self._choice(ctx, event)
        elif isinstance(event, TextIn):
            await self._text(ctx, event)

    async def _command(self, ctx: Ctx, event: CommandIn) -> None:
        spec = self.commands.get(event.name.lower())
        if spec is None:
            ctx.say("basics.unknown_command", command=event.name[:32])
            return
        if ctx.address.kind not in spec.where:
            ctx.say(
                "basics.dm_only" if "dm" in spec.where else "basics.group_only",
                command=spec.name,
                private=True,
            )
            return
        if spec.organiser_only and not await is_organiser(ctx):
            ctx.say("basics.organisers_only", command=spec.name, private=True)
            return
        if len(event.args) > MAX_TEXT:
            ctx.say("basics.too_long", limit=MAX_TEXT)
            return
        await spec.handler(ctx, event.args.strip())

    async def _choice(self, ctx: Ctx, event: ChoiceIn) -> None:
        parts = event.choice_id.split(":")
        handler = self.flows.choices.get(parts[0])
        if handler is None:
            ctx.say("basics.stale_button", private=True)
            return
        await handler(ctx, parts[1:])

    async def _text(self, ctx: Ctx, event: TextIn) -> None:
        if len(event.text) > MAX_TEXT:
            ctx.say("basics.too_long", limit=MAX_TEXT)
            return
        active = await ctx.session.scalar(
            select(DialogState.conversation)
            .where(DialogState.person_id == ctx.person.id, DialogState.step.is_not(None))
            .order_by(DialogState.updated_at.desc())
            .limit(1)
        )
        handler = self.flows.texts.get(active) if active else None
        if handler is not None:
            await handler(ctx, await ctx.dialog(active), event.text.strip())  # type: ignore[arg-type]
            return
        fallback = self.flows.texts.get("*")
        if fallback is not None:
            await fallback(ctx, await ctx.dialog("*"), event.text.strip())


async def is_organiser(ctx: Ctx) -> bool:
    found = await ctx.session.scalar(
        select(Member.id).where(Member.person_id == ctx.person.id, Member.role == "organiser")
    )
    return found is not None


def log_failure(event: Event, exc: BaseException) -> None:
    """Log where an event failed without anything the person wrote.

    Exception messages can quote user input (a KeyError on a typed key, an SQL
    error with its parameters), so only the exception's type and the code
    locations of its traceback are logged.
    """
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(frames))
    log.error("event %s failed: %s at %s", type(event).__name__, type(exc).__name__, where)


class RateLimiter:
    """At most ``per_minute`` events per person per minute, a sliding window.

    A flood protection, not domain state, so it lives in memory: each worker
    counts what it sees; the table of senders is bounded.
    """

    MAX_SENDERS = 10_000

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def allow(self, who: tuple[str, str], now: float) -> bool:
        """``now`` is a monotonic clock in seconds: floods happen in real time,
        not on the simulated clock."""
        window = self._seen.pop(who, None) or deque()
        self._seen[who] = window
        while window and now - window[0] >= 60:
            window.popleft()
        if len(self._seen) > self.MAX_SENDERS:
            self._seen.popitem(last=False)
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True


def _language_of(actor: Actor, default: str) -> str:
    locale = (actor.locale or "").lower()
    if locale.startswith("sv"):
        return "sv"
    if locale.startswith("en"):
        return "en"
    return default


def _is_conflict(exc: IntegrityError) -> bool:
    """A unique-key race (two events inserting the same row), not a bug."""
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text


def _is_transient(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(
        marker in text
        for marker in ("database is locked", "busy", "deadlock", "could not serialize")
    )
