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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, Table, Update, bindparam, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from bot.config import Settings
from bot.content import Content
from bot.core.choice_ids import suspicious
from bot.core.commands import CommandRegistry
from bot.core.context import Ctx, StaleState
from bot.core.fairness import RateLimiter, Throttle
from bot.core.ports import ChatFactory, Clock
from bot.core.questions import settle_replies
from bot.core.types import Actor, ChoiceIn, CommandIn, Event, Outgoing, Reply, TextIn
from bot.flows.registry import Flows
from bot.store import inbox, outbox
from bot.store.db import Database, to_db
from bot.store.live_questions import LiveQuestion
from bot.store.models import DialogState, Identity, InboxUpdate, Member, OutboxMessage, Person
from bot.store.retention import STRANGER_DAYS, plan_stranger_purge
from bot.store.sender_rows import read_sender
from bot.store.session import DbSession, run_core

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_TEXT = 2000
#: a handling worker's hold on the direct replies it delivers after commit
DIRECT_CLAIM = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Processed:
    """What handling a stored update left to deliver: the direct replies to
    the sender (outbox id, message) and the outbox ids of messages to others."""

    replies: list[tuple[int, Outgoing]] = field(default_factory=list)
    others: list[int] = field(default_factory=list)
    #: the direct replies' outbox rows as written (copies outside any
    #: session), so that delivering them right after the commit reads nothing
    rows: list[OutboxMessage] = field(default_factory=list)
    #: of ``others``, the rows written claimed for this worker, as written,
    #: and the ids to claim as they are sent (see ``bot.store.outbox.Holding``)
    held: list[OutboxMessage] = field(default_factory=list)
    later: list[int] = field(default_factory=list)
    #: held (claimed) messages to read back before sending them
    reread: list[int] = field(default_factory=list)

    @property
    def outbox_ids(self) -> list[int]:
        return [msg_id for msg_id, _ in self.replies] + self.others


class Engine:
    def __init__(
        self, db: Database, content: Content, clock: Clock, settings: Settings, flows: Flows
    ):
        self.db = db
        self.content = content
        self.clock = clock
        self.settings = settings
        self.flows = flows
        #: outbox rows written by handled events for this worker, waiting for
        #: delivery after commit (as written), and the ids of those to claim first
        self.pending_rows: list[OutboxMessage] = []
        self.pending_later: list[int] = []
        self.pending_reread: list[int] = []
        #: of those, the edits that take buttons off earlier messages
        self.pending_edits: list[int] = []
        #: platform -> ChatFactory, registered by adapters that can create chats
        self.chats: dict[str, ChatFactory] = {}
        self.limiter = RateLimiter(settings.messages_per_minute)
        #: "slow down" is said at most once a minute to one sender
        self.slow_down_said = Throttle(60.0)
        #: how an event's messages to others are claimed as they are written,
        #: for this worker to send right after the commit (the core sets
        #: ``Delivery.holding``; without, nothing is claimed nor sent after)
        self.holding: Callable[[datetime], outbox.Holding | None] | None = None

    @property
    def commands(self) -> CommandRegistry:
        return self.flows.commands

    async def handle(self, event: Event) -> list[Outgoing]:
        """Handle an event that is not stored (scenario tests, the console):
        the direct replies are returned for the caller to show."""
        lang = language_of(event.actor, self.settings.default_language)
        who = (event.actor.platform, event.actor.user_id)
        if not self.limiter.allow(who, time.monotonic()):
            if not self.slow_down_said.first(who, time.monotonic()):
                return []
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
                if ctx.hold is not None:
                    self.pending_rows.extend(ctx.hold.rows)
                    self.pending_later.extend(ctx.hold.later)
                    self.pending_reread.extend(ctx.hold.reread)
                self.pending_edits.extend(ctx.questions.edit_ids)
                return ctx.replies
            except Exception as exc:
                if not _worth_retrying(event, exc):
                    break
            await asyncio.sleep(min(0.01 * 2**attempt, 0.5))
        return [Outgoing(event.address, Reply(self.content.t(lang, "basics.error")))]

    async def process(
        self, inbox_id: int, stored: tuple[Event, str | None] | None = None
    ) -> Processed:
        """Handle a stored update (see :mod:`bot.store.inbox`) exactly once.

        The update's effects, its direct replies (written to the outbox and
        claimed for this worker, which delivers them right after the commit)
        and the row's ``handled_at`` commit together.  A row already handled
        (by another worker, or the sweep) does nothing.  When handling fails
        for good, the row is marked failed and the sender gets the apology in
        the same transaction, so a poisonous update is not retried for ever.

        ``stored``: the event and its ``edit_ref`` as the caller stored them
        (the adapter that just did), so the row need not be read first; the
        mark at the start of the transaction still settles who handles it.
        """
        loaded = stored if stored is not None else await self._load_stored(inbox_id)
        if loaded is None:
            return Processed()
        event, edit_ref = loaded
        lang = language_of(event.actor, self.settings.default_language)
        who = (event.actor.platform, event.actor.user_id)
        if not self.limiter.allow(who, time.monotonic()):
            say = self.slow_down_said.first(who, time.monotonic())
            text = self.content.t(lang, "basics.slow_down")
            return await self._close_stored(inbox_id, event, "dropped", text if say else None)
        for attempt in range(MAX_ATTEMPTS):
            ctx: Ctx | None = None
            try:
                async with self.db.transaction() as session:
                    # marked handled first, in one statement that also takes
                    # the row (PostgreSQL's row lock; SQLite's BEGIN IMMEDIATE
                    # serialises): it commits with the effects, or not at all
                    if not await inbox.mark_handled(session, inbox_id, self.clock.now()):
                        return Processed()
                    ctx = await self._context(session, event)
                    lang = ctx.lang
                    await self._dispatch(ctx)
                    ctx.replies = await settle_replies(
                        ctx.questions, event, ctx.person.id, ctx.replies
                    )
                    await ctx.save_dialogs()
                    rows: list[OutboxMessage] = []
                    replies = await self._enqueue_replies(session, ctx, edit_ref, rows)
                held = ctx.hold or outbox.Holding(ctx.now, frozenset(), 0)
                return Processed(
                    replies, list(ctx.outbox_ids), rows, held.rows, held.later, held.reread
                )
            except Exception as exc:
                if not _worth_retrying(event, exc):
                    break
            await asyncio.sleep(min(0.01 * 2**attempt, 0.5))
        return await self._close_stored(
            inbox_id, event, "failed", self.content.t(lang, "basics.error")
        )

    async def _load_stored(self, inbox_id: int) -> tuple[Event, str | None] | None:
        async with self.db.sessions() as session:
            row = await session.get(InboxUpdate, inbox_id)
            if row is None or row.handled_at is not None:
                return None
            try:
                return inbox.event_from_json(row.event)
            except (KeyError, TypeError, ValueError):
                log.error("inbox row %s holds no readable event", inbox_id)
        await self._close_stored(inbox_id, None, "failed", None)
        return None

    async def _close_stored(
        self, inbox_id: int, event: Event | None, outcome: str, text: str | None
    ) -> Processed:
        """Mark a stored update done without running it, with an optional
        answer (the apology, "slow down") through the outbox."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            if not await inbox.mark_handled(session, inbox_id, now, outcome):
                return Processed()
            if text is None or event is None:
                return Processed()
            out = Outgoing(event.address, Reply(text))
            rows: list[OutboxMessage] = []
            msg_id = await outbox.enqueue(
                session, out.address, out.reply, now, claimed_until=now + DIRECT_CLAIM, keep=rows
            )
        return Processed([(msg_id, out)] if msg_id is not None else [], rows=rows)

    async def _enqueue_replies(
        self, session: DbSession, ctx: Ctx, edit_ref: str | None, rows: list[OutboxMessage]
    ) -> list[tuple[int, Outgoing]]:
        """The direct replies into the outbox, in order.  The first reply to
        the sender's chat that asks to replace edits the pressed message;
        ``rows`` receives the rows as written."""
        event = ctx.event
        dm = event.actor.dm_chat_id or (event.actor.user_id if event.address.kind == "dm" else None)
        outs: list[Outgoing] = []
        values: list[dict[str, Any]] = []
        for out in ctx.replies:
            same_chat = out.address == event.address
            ref = edit_ref if (same_chat and out.reply.replace) else None
            if ref is not None:
                edit_ref = None
            values.append(
                outbox.message_values(
                    out.address,
                    out.reply,
                    ctx.now,
                    person_id=ctx.person.id if same_chat else None,
                    edit_ref=ref,
                    dm=dm if same_chat and out.reply.private else None,
                    claimed_until=ctx.now + DIRECT_CLAIM,
                )
            )
            outs.append(Outgoing(out.address, out.reply, edit_ref=ref))
        # keys of their own: all in one insert
        ids = await outbox.enqueue_fresh(session, values, rows)
        return list(zip(ids, outs, strict=True))

    # -- loading ---------------------------------------------------------
    async def _context(self, session, event: Event) -> Ctx:  # type: ignore[no-untyped-def]
        now = self.clock.now()
        actor = event.actor
        # (on PostgreSQL the person's row is locked first: a second event of the
        # same person waits there and then reads what the first committed;
        # SQLite gets this from BEGIN IMMEDIATE)
        sender = await read_sender(
            session, actor.platform, actor.user_id, lock=not self.db.is_sqlite
        )
        if sender is None:
            person = Person(
                display_name=actor.display_name[:128] or actor.user_id,
                language=language_of(actor, self.settings.default_language),
                timezone=self.settings.default_timezone,
                created_at=to_db(now),
            )
            session.add(person)
            await session.flush()
            identity = Identity(person_id=person.id, platform=actor.platform, user_id=actor.user_id)
            session.add(identity)
            # strangers who never join are not kept (see bot.store.retention)
            await plan_stranger_purge(session, person.id, now + STRANGER_DAYS)
            dialogs: dict[str, DialogState] = {}
            asked: list[LiveQuestion] = []
        else:
            # every dialog and open private question came with the person
            identity, person = sender.identity, sender.person
            dialogs, asked = sender.dialogs, sender.questions
        if event.address.kind == "dm" and identity.dm_chat_id != event.address.chat_id:
            identity.dm_chat_id = event.address.chat_id
        elif identity.dm_chat_id is None and actor.dm_chat_id:
            identity.dm_chat_id = actor.dm_chat_id
        if person.unreachable_at is not None:
            person.unreachable_at = None  # they wrote to us, so they can be reached again
        # any event is an answer: prompts sent before it no longer count as unanswered,
        # so a pair whose series paused itself (bot.flows.attention) is back at once
        active_at = to_db(now)
        if sender is None:
            person.last_active_at = active_at
            await session.flush()
        elif person.last_active_at != active_at:
            # a prebuilt UPDATE, the loaded row told it is what the database
            # holds: no unit of work to flush for the one column every event
            # changes (other changes to the person still go out with a flush)
            set_committed_value(person, "last_active_at", active_at)
            await run_core(session, _touch_person(), {"b_id": person.id, "b_at": active_at})
        # (changes to a loaded person or identity go out with the next flush)
        ctx = Ctx(
            session,
            self.content,
            self.settings,
            now,
            event,
            person,
            identity,
            flows=self.flows,
            chats=dict(self.chats),
            _dialog_rows=dialogs,
            _all_dialogs=True,
            hold=self.holding(now) if self.holding is not None else None,
        )
        ctx.questions.preload(actor.platform, person.id, asked)
        return ctx

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
        if handler is None or suspicious(event.choice_id):
            ctx.say("basics.stale_button", private=True)
            return
        await handler(ctx, parts[1:])

    async def _text(self, ctx: Ctx, event: TextIn) -> None:
        if len(event.text) > MAX_TEXT:
            ctx.say("basics.too_long", limit=MAX_TEXT)
            return
        active = ctx.active_conversation()
        if active is False:
            active = await ctx.session.scalar(_active_dialog(), {"person_id": ctx.person.id})
        handler = self.flows.texts.get(active) if active else None
        if handler is not None:
            await handler(ctx, await ctx.dialog(active), event.text.strip())  # type: ignore[arg-type]
            return
        fallback = self.flows.texts.get("*")
        if fallback is not None:
            await fallback(ctx, await ctx.dialog("*"), event.text.strip())


@cache
def _active_dialog() -> Select[str]:
    """The conversation that gets typed text: the one changed last."""
    return (
        select(DialogState.conversation)
        .where(DialogState.person_id == bindparam("person_id"), DialogState.step.is_not(None))
        .order_by(DialogState.updated_at.desc())
        .limit(1)
    )


@cache
def _touch_person() -> Update:
    """The sender was active now (built once; see ``_context``)."""
    table: Table = Person.__table__  # type: ignore[assignment]
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(last_active_at=bindparam("b_at", type_=table.c.last_active_at.type))
    )


@cache
def _organiser_seat() -> Select[int]:
    return select(Member.id).where(
        Member.person_id == bindparam("person_id"), Member.role == "organiser"
    )


async def is_organiser(ctx: Ctx) -> bool:
    found = await ctx.session.scalar(_organiser_seat(), {"person_id": ctx.person.id})
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


def language_of(actor: Actor, default: str) -> str:
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


def _worth_retrying(event: Event, exc: Exception) -> bool:
    """A lost race (stale dialog, unique-key conflict) or a busy database is
    tried again; anything else is logged (without message text) and ends the turn."""
    if isinstance(exc, StaleState) or (isinstance(exc, IntegrityError) and _is_conflict(exc)):
        log.info("retrying event after concurrent update (%s)", type(exc).__name__)
        return True
    if isinstance(exc, OperationalError | DBAPIError) and not isinstance(exc, IntegrityError):
        if _is_transient(exc):
            log.info("database busy, retrying event")
            return True
    log_failure(event, exc)
    return False


def _is_transient(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(
        marker in text
        for marker in ("database is locked", "busy", "deadlock", "could not serialize")
    )
