"""Drives many mentoring pairs through the real core, the way people would.

The ideas of ``tests/harness.py`` (a recording transport, presses by button
label), rebuilt here so the benchmarks do not depend on the test package:
every person has an inbox; ``[Label]`` presses the newest button whose label
starts with ``Label``; a reply that replaces the pressed message replaces it
in the inbox too, as Telegram would.  Each event is timed as the adapter runs
it on the hot path: ``core.handle`` and then ``core.deliver_outbox``.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import event as sa_event

from bot.app import Core
from bot.core.types import Actor, Address, ChoiceIn, CommandIn, Event, Outgoing, Reply, TextIn
from bot.organiser.programmes import add_organiser, create_group, create_programme
from bot.store.db import ONE_STATEMENT
from bot.store.inbox import Incoming

PLATFORM = "bench"
INBOX_KEEP = 24

#: in :meth:`StatementLog.transactions`: a transaction sent as one statement
IMPLICIT = "implicit"

#: How a person joins (pair_steps.SETUP): invite, language, time zone, role, consent.
JOIN = ("/start {code}", "[Svenska]", "[Ja]", "[Förstått]", "[Ja]")

#: pair_steps.AGREE_AND_BOOK with m = mentor (Anna), e = mentee (Bea).
AGREE_AND_BOOK = (
    ("m", "[Vi är överens]"),
    ("e", "[Vi är överens]"),
    ("e", "[Karriär]"),
    ("e", "[Klar]"),
    ("e", "Disputera inom två år"),
    ("e", "[Klar]"),
    ("e", "[Vi är överens]"),
    ("e", "[Varannan]"),
    ("e", "[45 min]"),
    ("e", "[Online]"),
    ("e", "tisdagar efter 15"),
    ("m", "[Vi är överens]"),
    ("m", "[Vi är överens]"),
    ("m", "[Vi är överens]"),
    ("m", "[En gång]"),
    ("m", "[60 min]"),
    ("m", "[Online]"),
    ("m", "[Spelar]"),
    ("m", "[Det funkar]"),
    ("e", "[Det funkar]"),
    ("e", "nästa tisdag kl 15"),
    ("m", "[Det passar]"),
)

#: Onboarding, the agreement, the rhythm and the first booking, then /help.
PHASE_A: tuple[tuple[str, str], ...] = (
    *(("m", a) for a in JOIN),
    *(("e", a) for a in JOIN),
    *AGREE_AND_BOOK,
    ("m", "/help"),
    ("e", "/help"),
)

#: After the first meeting (the clock moved a week): did you meet, feedback,
#: the agenda, the next meeting, a free message, /help.
PHASE_B: tuple[tuple[str, str], ...] = (
    ("m", "[Ja, vi sågs]"),
    ("e", "[Ja, vi sågs]"),
    ("m", "[4]"),
    ("e", "[4]"),
    ("m", "[4]"),
    ("e", "[4]"),
    ("e", "[Hoppa]"),
    ("m", "[Hoppa]"),
    ("m", "[👍]"),
    ("e", "/agenda Konferensen i mars"),
    ("m", "/next"),
    ("e", "Tack för mötet!"),
    ("m", "/help"),
)

BUTTON = re.compile(r"^\[(?P<label>[^\]]+)\]$")


class RecordingTransport:
    """Delivers proactive messages into the driver's inboxes."""

    platform = PLATFORM

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.count = 0
        #: edits that only took a message's buttons away (not in ``count``)
        self.stripped = 0

    async def send(self, out: Outgoing) -> str | None:
        """Returns the message's id when the driver hands out ids (``refs``),
        as a platform does, so the core can edit answered questions' buttons away."""
        chat = out.address.chat_id
        if out.reply.clears is not None:
            self.stripped += 1
            self.driver.strip(chat, out.reply.clears)  # an edit, not a message
            return None
        self.count += 1
        box = self.driver.inbox[chat]
        edit = out.edit_ref if out.reply.replace else None
        if edit is not None and int(edit) < len(box):
            box[int(edit)] = out.reply  # the durable path edits the pressed message
            return self.driver.ref_at(chat, int(edit))
        return self.driver.receive(chat, out.reply)


@dataclass
class Seat:
    user_id: str
    name: str
    code: str

    @property
    def actor(self) -> Actor:
        return Actor(PLATFORM, self.user_id, self.name, "sv")

    @property
    def dm(self) -> Address:
        return Address(PLATFORM, self.user_id, None, "dm")


@dataclass
class BenchPair:
    mentor: Seat
    mentee: Seat

    def who(self, role: str) -> Seat:
        return self.mentor if role == "m" else self.mentee


@dataclass
class Timed:
    """One measured event."""

    category: str
    seconds: float
    statements: int = 0
    error: bool = False


@dataclass
class StatementLog:
    """Everything the database saw during one event, in order, on every
    connection the core used for it.

    Items are ``("begin", conn, implicit)``, ``("stmt", kind, sql, params,
    many, conn)``, ``("commit", conn, implicit)`` or ``("rollback", conn,
    implicit)``.  ``conn`` names the connection (see :data:`WRITE`,
    :data:`READ`, :data:`LAZY`); ``implicit`` marks a transaction that SQLite
    ran as one statement of its own, with no BEGIN and COMMIT sent (the sent
    marks of :meth:`bot.store.db.Database.bookkeep`): counted as a
    transaction, replayed without them.
    """

    items: list[tuple[Any, ...]] = field(default_factory=list)

    def kinds(self) -> dict[str, int]:
        counted: dict[str, int] = defaultdict(int)
        for item in self.items:
            if item[0] == "stmt":
                counted[item[1]] += 1
            elif item[0] == "begin":
                counted["transactions"] += 1
        return dict(counted)

    def transactions(self) -> list[dict[str, int]]:
        """Statement kinds per transaction (statements outside one count as their own).

        A transaction the database ran as one statement of its own, with no
        BEGIN and COMMIT sent, carries ``IMPLICIT: 1``."""
        out: list[dict[str, int]] = []
        current: dict[str, dict[str, int]] = {}
        for item in self.items:
            conn = item[-1] if item[0] == "stmt" else item[1]
            if item[0] == "begin":
                current[conn] = defaultdict(int)
                if item[2]:
                    current[conn][IMPLICIT] = 1
                out.append(current[conn])
            elif item[0] == "stmt":
                if conn not in current:
                    out.append({item[1]: 1})
                else:
                    current[conn][item[1]] += 1
            else:
                current.pop(conn, None)
        return [dict(t) for t in out]


#: the connections of a core on SQLite (bot.store.db.Database): events' and
#: jobs' transactions (``synchronous`` as configured, BEGIN IMMEDIATE) ...
WRITE = "write"
#: ... reads outside them (deferred BEGIN, e.g. delivery reading held rows) ...
READ = "read"
#: ... and bookkeeping that does not wait for the disk (sent marks;
#: synchronous=NORMAL; on PostgreSQL synchronous_commit=off).  On PostgreSQL
#: every other statement counts as ``WRITE``.
LAZY = "lazy"


class StatementCounter:
    """SQLAlchemy ``before_cursor_execute`` listeners recording each event's
    SQL on every engine the core has -- its transactions, its reads and its
    bookkeeping connections -- so that the count and the exact replay hold
    everything an event ran (the read-back of held messages and the sent
    marks included)."""

    def __init__(self, core: Core) -> None:
        self.log = StatementLog()
        self.enabled = False
        db = core.db
        engines = [(db.sync_engine, WRITE)]
        if db.is_sqlite:
            engines += [(db._read_engine, READ), (db._lazy_engine, LAZY)]
        elif getattr(db, "_lazy_engine", None) is not None:
            # its sent marks run on connections of their own
            engines += [(db._lazy_engine, LAZY)]
        for engine, name in engines:
            sa_event.listen(engine, "before_cursor_execute", self._stmt_on(name))
            sa_event.listen(engine, "begin", self._mark_on("begin", name))
            sa_event.listen(engine, "commit", self._mark_on("commit", name))
            sa_event.listen(engine, "rollback", self._mark_on("rollback", name))

    def start(self) -> None:
        self.log = StatementLog()
        self.enabled = True

    def stop(self) -> StatementLog:
        self.enabled = False
        return self.log

    def _stmt_on(self, name: str) -> Any:
        def stmt(conn: Any, cursor: Any, sql: str, params: Any, ctx: Any, many: bool) -> None:
            if not self.enabled:
                return
            kind = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
            if kind == "BEGIN":
                return  # the begin listener marks transactions
            self.log.items.append(("stmt", kind, sql, params, many, name))

        return stmt

    def _mark_on(self, tag: str, name: str) -> Any:
        def mark(conn: Any) -> None:
            if self.enabled:
                implicit = bool(conn.info.get(ONE_STATEMENT))
                self.log.items.append((tag, name, implicit))

        return mark


class Driver:
    """The core, a recording transport, and people with inboxes."""

    def __init__(self, core: Core, *, durable: bool = False, refs: bool = False) -> None:
        self.core = core
        #: events go the adapters' way: stored in the inbox, handled from
        #: there, every reply through the outbox (else ``handle`` directly)
        self.durable = durable
        #: messages get platform ids, as on Telegram and Discord: the core
        #: then remembers them and edits answered questions' buttons away
        #: (its ``strip:`` outbox rows); without, no message has an id
        self.refs = refs
        self._refs: dict[str, list[str]] = defaultdict(list)
        self._sent = 0
        self._updates = 0
        self.transport = RecordingTransport(self)
        core.add_transport(self.transport)
        self.inbox: dict[str, list[Reply]] = defaultdict(list)
        self.counter = StatementCounter(core)
        self.error_text = {core.content.t(lang, "basics.error") for lang in ("sv", "en")}
        self.missing_buttons = 0

    def receive(self, chat: str, reply: Reply) -> str | None:
        """Put a message in ``chat``'s inbox; returns its id (with ``refs``)."""
        box, refs = self.inbox[chat], self._refs[chat]
        self._sent += 1
        box.append(reply)
        refs.append(str(self._sent))
        if len(box) > INBOX_KEEP:
            del box[: len(box) - INBOX_KEEP]
            del refs[: len(refs) - INBOX_KEEP]
        return refs[-1] if self.refs else None

    def ref_at(self, chat: str, index: int) -> str | None:
        return self._refs[chat][index] if self.refs else None

    def strip(self, chat: str, ref: str) -> None:
        """The core took a message's buttons away."""
        refs = self._refs[chat]
        if ref in refs:
            box = self.inbox[chat]
            index = refs.index(ref)
            box[index] = replace(box[index], choices=())

    # -- setting up ------------------------------------------------------
    async def programme(
        self, n_pairs: int, *, slug: str, first_user: int = 1, start: date | None = None
    ) -> list[BenchPair]:
        """A programme with an organiser and ``n_pairs`` pairs, invites issued."""
        now = self.core.clock.now()
        begin = start or now.date()
        pairs: list[BenchPair] = []
        async with self.core.db.transaction() as s:
            programme = await create_programme(
                s,
                now,
                name=f"Bench {slug}",
                slug=slug,
                start=begin,
                end=begin + timedelta(days=183),
                goal="Stötta kvinnor som doktorerar i STEM",
            )
            await add_organiser(s, programme, "Olga", now, 30)
            for i in range(n_pairs):
                uid = first_user + 2 * i
                _group, invites = await create_group(
                    s, programme, "pair", f"Anna{uid}", [f"Bea{uid + 1}"], now, 30
                )
                codes = {inv.role: inv.code for inv in invites}
                pairs.append(
                    BenchPair(
                        Seat(str(uid), f"Anna{uid}", codes["mentor"]),
                        Seat(str(uid + 1), f"Bea{uid + 1}", codes["mentee"]),
                    )
                )
        return pairs

    # -- acting ----------------------------------------------------------
    def event_for(self, seat: Seat, action: str) -> tuple[Event, int | None] | None:
        """The event for a script action, and the inbox index of a pressed message."""
        action = action.replace("{code}", seat.code)
        button = BUTTON.match(action)
        if button:
            found = self.find(seat.user_id, button["label"])
            if found is None:
                self.missing_buttons += 1
                return None
            index, choice_id = found
            ref = self.ref_at(seat.user_id, index)
            return ChoiceIn(seat.actor, seat.dm, choice_id, ref), index
        if action.startswith("/"):
            name, _, args = action[1:].partition(" ")
            return CommandIn(seat.actor, seat.dm, name, args), None
        return TextIn(seat.actor, seat.dm, action), None

    def find(self, chat: str, label: str) -> tuple[int, str] | None:
        wanted = label.casefold()
        box = self.inbox.get(chat, [])
        for index in range(len(box) - 1, -1, -1):
            for choice in box[index].choices:
                if choice.label.casefold().startswith(wanted):
                    return index, choice.id
        return None

    async def act(self, seat: Seat, action: str) -> Timed | None:
        made = self.event_for(seat, action)
        if made is None:
            return None
        event, pressed = made
        if self.durable:
            started = time.perf_counter()
            outs = await self._durable(event, pressed)
            elapsed = time.perf_counter() - started
        else:
            started = time.perf_counter()
            outs = await self.core.handle(event)
            await self.core.deliver_outbox()
            elapsed = time.perf_counter() - started
            for out, ref in self._direct(seat.user_id, outs, pressed):
                if ref is not None and out.reply.question is not None:
                    await self.core.note_sent(out, ref)  # what an adapter does
        error = any(o.reply.text in self.error_text for o in outs)
        return Timed(category_of(event), elapsed, error=error)

    async def _durable(self, event: Event, pressed: int | None) -> list[Outgoing]:
        """What an adapter does: store, handle from the store, deliver."""
        self._updates += 1
        update_id = str(self._updates)
        edit_ref = str(pressed) if pressed is not None else None
        item = Incoming(update_id, event, edit_ref)
        ids = await self.core.receive([item])
        processed = await self.core.process(ids[update_id], item)
        await self.core.deliver_processed(processed)
        return [out for _, out in processed.replies]

    def _direct(
        self, chat: str, outs: Sequence[Outgoing], pressed: int | None
    ) -> list[tuple[Outgoing, str | None]]:
        """Show the direct replies; returns each with its message id."""
        shown: list[tuple[Outgoing, str | None]] = []
        for out in outs:
            target = out.address.chat_id
            box = self.inbox[target]
            if pressed is not None and target == chat and out.reply.replace and pressed < len(box):
                box[pressed] = out.reply
                shown.append((out, self.ref_at(target, pressed)))
                pressed = None
            else:
                shown.append((out, self.receive(target, out.reply)))
        return shown

    async def run_lockstep(
        self,
        pairs: Sequence[BenchPair],
        script: Sequence[tuple[str, str]],
        *,
        record: bool = False,
        progress: Any = None,
    ) -> tuple[list[Timed], list[StatementLog]]:
        """Step k of the script for every pair, then step k+1: many people interleaved."""
        timed: list[Timed] = []
        logs: list[StatementLog] = []
        for k, (role, action) in enumerate(script):
            for pair in pairs:
                if record:
                    self.counter.start()
                t = await self.act(pair.who(role), action)
                if record:
                    log = self.counter.stop()
                    if t is not None:
                        logs.append(log)
                        t.statements = sum(1 for i in log.items if i[0] == "stmt")
                if t is not None:
                    timed.append(t)
            if progress is not None:
                progress(k + 1, len(script))
        return timed, logs


def category_of(event: Event) -> str:
    if isinstance(event, CommandIn):
        return f"/{event.name}"
    if isinstance(event, ChoiceIn):
        return f"press {event.choice_id.split(':', 1)[0]}"
    return "free text"


def moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")
