"""Scenario-test harness: the real core on a temporary SQLite file, a fake
clock, and a recording transport that keeps every message each person got.

Tests read like the conversation they check::

    anna = h.person("anna")
    await anna.says("/start")
    assert "Hej Anna" in anna.last.text
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import Core
from bot.config import load_settings
from bot.core.ports import FakeClock
from bot.core.types import Actor, Address, ChoiceIn, CommandIn, Event, Outgoing, Reply, TextIn

PLATFORM = "test"


@dataclass
class Stamped:
    """One delivered message with the simulated time it arrived."""

    at: datetime
    chat: str
    reply: Reply


def stamp_deliveries(h: Harness, log: list[Stamped]) -> None:
    """Wrap the recording transport so every delivery notes the clock time."""
    transport = h.transport
    original = transport.send

    async def send(out: Outgoing) -> str | None:
        ref = await original(out)
        if out.reply.clears is None:
            log.append(Stamped(h.clock.now(), out.address.chat_id, out.reply))
        return ref

    transport.send = send  # type: ignore[method-assign]


class RecordingTransport:
    """Delivers by remembering; can be told to fail for a chat."""

    platform = PLATFORM

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        #: the message id each sent message got (parallel to ``sent``)
        self.refs: list[str | None] = []
        self.fail: dict[str, Exception] = {}
        self._ids = 0

    def next_ref(self) -> str:
        self._ids += 1
        return f"m{self._ids}"

    async def send(self, out: Outgoing) -> str | None:
        error = self.fail.get(out.address.chat_id)
        if error is not None:
            raise error
        ref = None if out.reply.clears is not None else self.next_ref()
        self.sent.append(out)
        self.refs.append(ref)
        return ref


@dataclass
class Person:
    h: Harness
    name: str
    locale: str | None = None
    chat: str | None = None
    direct: list[Reply] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return Actor(PLATFORM, self.name, self.name.capitalize(), self.locale)

    @property
    def dm(self) -> Address:
        return Address(PLATFORM, f"dm-{self.name}", None, "dm")

    @property
    def inbox(self) -> list[Reply]:
        """Everything this person received, in order: direct replies and proactive ones."""
        return [r for who, r in self.h.timeline if who == self.dm.chat_id]

    @property
    def last(self) -> Reply:
        assert self.inbox, f"{self.name} has received nothing"
        return self.inbox[-1]

    def texts(self) -> list[str]:
        return [r.text for r in self.inbox]

    async def says(self, text: str, *, group: str | None = None) -> list[Reply]:
        address = Address(PLATFORM, group, None, "group") if group else self.dm
        event: Event
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            event = CommandIn(self.actor, address, name, args)
        else:
            event = TextIn(self.actor, address, text)
        return await self.h.send(event)

    async def presses(self, choice: str, *, group: str | None = None) -> list[Reply]:
        """Press a button by choice id, or by label prefix on the newest message with buttons."""
        address = Address(PLATFORM, group, None, "group") if group else self.dm
        choice_id = self.find_choice(choice, group=group) or choice
        return await self.h.send(ChoiceIn(self.actor, address, choice_id))

    def find_choice(self, label: str, *, group: str | None = None) -> str | None:
        chat = group or self.dm.chat_id
        for who, reply in reversed(self.h.timeline):
            if who == chat and reply.choices:
                for c in reply.choices:
                    if c.label.casefold().startswith(label.casefold()) or c.id == label:
                        return c.id
                return None
        return None

    def buttons(self) -> list[str]:
        for reply in reversed(self.inbox):
            if reply.choices:
                return [c.label for c in reply.choices]
        return []


class Harness:
    def __init__(self, core: Core, clock: FakeClock, transport: RecordingTransport):
        self.core = core
        self.clock = clock
        self.transport = transport
        self.timeline: list[tuple[str, Reply]] = []
        #: message id -> index in the timeline (to apply edits that remove buttons)
        self.at: dict[str, int] = {}
        self._people: dict[str, Person] = {}

    @classmethod
    async def open(
        cls, tmp: Path, start: datetime, db_url: str | None = None, **settings: Any
    ) -> Harness:
        url = db_url or f"sqlite+aiosqlite:///{tmp}/test.db"
        clock = FakeClock(start)
        settings.setdefault("messages_per_minute", 1_000_000)  # tests send in bursts
        core = await Core.open(load_settings(database_url=url, **settings), clock=clock)
        transport = RecordingTransport()
        core.add_transport(transport)
        return cls(core, clock, transport)

    async def close(self) -> None:
        await self.core.close()

    def person(self, name: str, locale: str | None = None) -> Person:
        if name not in self._people:
            self._people[name] = Person(self, name, locale)
        return self._people[name]

    async def send(self, event: Event) -> list[Reply]:
        before = len(self.transport.sent)
        outs = await self.core.handle(event)
        for out in outs:
            ref = self.transport.next_ref()
            self._record(out, ref)
            await self.core.note_sent(out, ref)
        await self.core.deliver_outbox()
        self._collect(before)
        return [o.reply for o in outs]

    async def wait(self, delta: timedelta) -> None:
        before = len(self.transport.sent)
        await self.core.scheduler.run_until(self.clock.now() + delta)
        self._collect(before)

    async def tick(self) -> int:
        before = len(self.transport.sent)
        ran = await self.core.scheduler.tick()
        self._collect(before)
        return ran

    def _collect(self, before: int) -> None:
        sent = self.transport.sent[before:]
        for out, ref in zip(sent, self.transport.refs[before:], strict=True):
            self._record(out, ref)

    def _record(self, out: Outgoing, ref: str | None) -> None:
        """Add a message to the timeline; an edit that removes buttons changes
        the earlier message in place, as a chat app shows it."""
        if out.reply.clears is not None:
            index = self.at.get(out.reply.clears)
            if index is not None:
                chat, old = self.timeline[index]
                self.timeline[index] = (chat, replace(old, choices=()))
            return
        if ref is not None:
            self.at[ref] = len(self.timeline)
        self.timeline.append((out.address.chat_id, out.reply))
