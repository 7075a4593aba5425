"""The per-event context a flow step works with.

A flow step receives a :class:`Ctx`: the open transaction, the person who
acted, their language, the current time, and ways to answer (``say``) or to
message someone else through the outbox (``tell``).  Nothing here touches a
platform library.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Insert, Select, Table, Update, bindparam, insert, select, update

from bot.config import Settings
from bot.content import Content
from bot.core.commands import CommandRegistry
from bot.core.questions import Questions
from bot.core.types import Address, Attachment, Choice, Event, Outgoing, Reply
from bot.store import outbox
from bot.store.batch_memo import MISSING, take
from bot.store.db import to_db
from bot.store.models import DialogState, Identity, Person
from bot.store.session import DbSession, run_core

if TYPE_CHECKING:
    from bot.flows.registry import Flows


#: ``Work.memo`` key of the identities ``tell`` looked up in this transaction
_IDENTITIES = "primary_identities"


class StaleState(Exception):
    """Another event changed this person's dialog state first; retry the event."""


@dataclass
class Dialog:
    """A person's place in one conversation, loaded with its version."""

    conversation: str
    step: str | None
    data: dict[str, Any]
    version: int
    exists: bool
    #: when this dialog was last changed in the event (0: unchanged); the one
    #: changed last gets the person's next typed text
    touched: int = 0

    def go(self, step: str | None, **data: Any) -> None:
        self.step = step
        self.data.update(data)
        self.touched = next(_TOUCHES)

    def reset(self) -> None:
        self.step = None
        self.data = {}
        self.touched = next(_TOUCHES)


_TOUCHES = itertools.count(1)


@dataclass
class Work:
    """One transaction's worth of work: what both events and jobs can do."""

    session: DbSession
    content: Content
    settings: Settings
    now: datetime
    outbox_ids: list[int] = field(default_factory=list, kw_only=True)
    flows: Flows | None = field(default=None, kw_only=True)
    #: platform -> group-chat creator (see bot.core.ports.ChatFactory)
    chats: dict[str, Any] = field(default_factory=dict, kw_only=True)
    #: the scheduler's mark for one moment: what jobs tell a person then is one message
    digest: str | None = field(default=None, kw_only=True)
    #: what a flow read once and may read again in the same pass (e.g. one
    #: health evaluation, see bot.flows.health_facts); its owner keeps it right
    memo: dict[str, Any] = field(default_factory=dict, kw_only=True, repr=False)
    #: an event's messages to others that its worker sends right after the
    #: commit, claimed as they are written (see ``bot.store.outbox.Holding``)
    hold: outbox.Holding | None = field(default=None, kw_only=True, repr=False)
    _questions: Questions | None = field(default=None, kw_only=True, repr=False)

    @property
    def questions(self) -> Questions:
        """The live-question rule for this transaction (see :mod:`bot.core.questions`)."""
        if self._questions is None:
            self._questions = Questions(self.session, self.now, self.outbox_ids, self.hold)
        return self._questions

    def t_for(self, lang: str, key: str, /, **params: object) -> str:
        return self.content.t(lang, key, **params)

    async def tell(self, person_id: int, reply: Reply, *, key: str | None = None) -> None:
        """Queue ``reply`` for another person's private chat, delivered after commit."""
        # read once per person and transaction: an event often tells the
        # partner several things (identities are only added when an event's
        # sender is first seen, before any flow runs)
        idents: dict[int, Identity | None] = self.memo.setdefault(_IDENTITIES, {})
        if person_id not in idents:
            idents[person_id] = await primary_identity(self.session, person_id)
        ident = idents[person_id]
        if ident is None or ident.dm_chat_id is None:
            return
        address = Address(ident.platform, ident.dm_chat_id, None, "dm")
        asked = await self.questions.asked(address, person_id, reply, digest=self.digest)
        if asked is None:
            return
        reply = asked
        msg_id = await outbox.enqueue(
            self.session,
            address,
            reply,
            self.now,
            person_id=person_id,
            key=key,
            digest=self.digest,
            hold=self.hold,
        )
        if msg_id is not None:
            self.outbox_ids.append(msg_id)

    async def set_dialog_of(
        self, person_id: int, conversation: str, step: str | None, data: dict[str, Any]
    ) -> None:
        """Put someone's dialog at ``step`` (e.g. the partner now expects to type a time)."""
        row = await self.session.get(DialogState, (person_id, conversation))
        if row is None:
            self.session.add(
                DialogState(
                    person_id=person_id,
                    conversation=conversation,
                    step=step,
                    data=data,
                    version=1,
                    updated_at=to_db(self.now),
                )
            )
        else:
            row.step, row.data, row.version = step, data, row.version + 1
            row.updated_at = to_db(self.now)

    async def post(self, address: Address, reply: Reply, *, key: str | None = None) -> None:
        """Queue ``reply`` for a group chat or channel."""
        asked = await self.questions.asked(address, None, reply)
        if asked is None:
            return
        reply = asked
        msg_id = await outbox.enqueue(
            self.session, address, reply, self.now, key=key, hold=self.hold
        )
        if msg_id is not None:
            self.outbox_ids.append(msg_id)


@dataclass
class Ctx(Work):
    """The context of one incoming event from one person."""

    event: Event
    person: Person
    identity: Identity
    replies: list[Outgoing] = field(default_factory=list, kw_only=True)
    _dialogs: dict[str, Dialog] = field(default_factory=dict, kw_only=True)
    #: the person's dialog rows, loaded with the person (held here, so they stay
    #: the session's own copies for the whole event)
    _dialog_rows: dict[str, DialogState] = field(default_factory=dict, kw_only=True)
    #: ``_dialog_rows`` holds every dialog the person has (read with the person
    #: on SQLite): a conversation not in it has no row, and needs no query
    _all_dialogs: bool = field(default=False, kw_only=True)

    async def set_dialog_of(
        self, person_id: int, conversation: str, step: str | None, data: dict[str, Any]
    ) -> None:
        """As :meth:`Work.set_dialog_of`, but the actor's own dialog goes through the
        version-checked copy this event already holds."""
        if person_id != self.person.id:
            await super().set_dialog_of(person_id, conversation, step, data)
            return
        dialog = await self.dialog(conversation)
        dialog.reset()
        if step is not None:
            dialog.go(step, **data)

    @property
    def commands(self) -> CommandRegistry:
        return self.flows.commands if self.flows is not None else CommandRegistry()

    # -- who and where -------------------------------------------------
    @property
    def lang(self) -> str:
        return self.person.language

    @property
    def address(self) -> Address:
        return self.event.address

    @property
    def in_group(self) -> bool:
        return self.event.address.kind == "group"

    # -- words ---------------------------------------------------------
    def t(self, key: str, /, **params: object) -> str:
        return self.content.t(self.lang, key, **params)

    def choice(self, choice_id: str, key: str, /, **params: object) -> Choice:
        return Choice(choice_id, self.t(key, **params))

    # -- answering the sender -------------------------------------------
    def out(self, reply: Reply) -> Outgoing:
        """Address ``reply`` to where the event came from."""
        return Outgoing(self.event.address, reply)

    def reply(
        self,
        text: str,
        choices: tuple[Choice, ...] | list[Choice] = (),
        *,
        replace: bool = False,
        private: bool = False,
        attachments: tuple[Attachment, ...] | list[Attachment] = (),
        lapses: bool = False,
        series: str | None = None,
    ) -> None:
        self.replies.append(
            Outgoing(
                self.event.address,
                Reply(
                    text,
                    tuple(choices),
                    replace,
                    private,
                    tuple(attachments),
                    lapses=lapses,
                    series=series,
                ),
            )
        )

    def say(
        self,
        key: str,
        /,
        choices: tuple[Choice, ...] | list[Choice] = (),
        *,
        replace: bool = False,
        private: bool = False,
        lapses: bool = False,
        series: str | None = None,
        **params: object,
    ) -> None:
        self.reply(
            self.t(key, **params),
            choices,
            replace=replace,
            private=private,
            lapses=lapses,
            series=series,
        )

    # -- dialog state --------------------------------------------------
    def active_conversation(self) -> str | Literal[False] | None:
        """The conversation that gets typed text (the one with a step changed
        last), known without a query when every dialog was read with the
        person and the newest is unambiguous; ``False`` when it is not known."""
        if not self._all_dialogs:
            return False
        live = [r for r in self._dialog_rows.values() if r.step is not None]
        if not live:
            return None
        live.sort(key=lambda r: r.updated_at, reverse=True)
        if len(live) > 1 and live[0].updated_at == live[1].updated_at:
            return False  # a tie: the database's order decides, as before
        return live[0].conversation

    async def dialog(self, conversation: str) -> Dialog:
        if conversation not in self._dialogs:
            row = self._dialog_rows.get(conversation)
            if row is None and not self._all_dialogs:
                row = await self.session.get(DialogState, (self.person.id, conversation))
            self._dialogs[conversation] = (
                Dialog(conversation, row.step, dict(row.data or {}), row.version, True)
                if row
                else Dialog(conversation, None, {}, 0, False)
            )
        return self._dialogs[conversation]

    async def save_dialogs(self) -> None:
        """Write changed dialogs; a version mismatch means a concurrent event won.

        Dialogs changed later in the event get later timestamps (a microsecond
        apart), so the engine routes the next typed text to the newest one.
        """
        changed = sorted((d for d in self._dialogs.values() if d.touched), key=lambda d: d.touched)
        fresh: list[dict[str, Any]] = []
        for rank, d in enumerate(changed):
            stamp = to_db(self.now + timedelta(microseconds=rank))
            if not d.exists:
                if d.step is None and not d.data:
                    continue
                fresh.append(
                    {
                        "b_person": self.person.id,
                        "b_conversation": d.conversation,
                        "b_step": d.step,
                        "b_data": d.data,
                        "b_at": stamp,
                    }
                )
                continue
            result = await run_core(
                self.session,
                _save_dialog(),
                {
                    "b_person": self.person.id,
                    "b_conversation": d.conversation,
                    "b_version": d.version,
                    "b_step": d.step,
                    "b_data": d.data,
                    "b_next": d.version + 1,
                    "b_at": stamp,
                },
            )
            if result.rowcount != 1:
                raise StaleState(d.conversation)
        if fresh:
            # new dialogs in one INSERT (a concurrent event that created the
            # same one makes it fail on the key, and the event is retried);
            # nothing in the transaction reads them after this
            await run_core(self.session, _new_dialog(), fresh if len(fresh) > 1 else fresh[0])


@cache
def _save_dialog() -> Update:
    """A dialog's new state, if its version is still the one read (built once).

    A Core statement on the table, not an ORM-enabled UPDATE: the ORM's bulk
    path rebuilds the statement on every run (a fresh cache key each time),
    and nothing loaded needs synchronising (the event holds its own copy)."""
    table: Table = DialogState.__table__  # type: ignore[assignment]
    return (
        update(table)
        .where(
            table.c.person_id == bindparam("b_person"),
            table.c.conversation == bindparam("b_conversation"),
            table.c.version == bindparam("b_version"),
        )
        .values(
            step=bindparam("b_step"),
            data=bindparam("b_data", type_=table.c.data.type),
            version=bindparam("b_next"),
            updated_at=bindparam("b_at"),
        )
    )


@cache
def _new_dialog() -> Insert:
    """A dialog's first state (built once): a Core ``INSERT`` rather than an
    added row, so the commit has no unit of work to flush for it."""
    table: Table = DialogState.__table__  # type: ignore[assignment]
    return insert(table).values(
        person_id=bindparam("b_person"),
        conversation=bindparam("b_conversation"),
        step=bindparam("b_step"),
        data=bindparam("b_data", type_=table.c.data.type),
        version=1,
        updated_at=bindparam("b_at"),
    )


@cache
def _identities_of() -> Select[Identity]:
    return (
        select(Identity)
        .where(Identity.person_id == bindparam("person_id"))
        .order_by(Identity.id.desc())
    )


async def primary_identity(session: DbSession, person_id: int) -> Identity | None:
    """The identity used for proactive messages: the most recently seen one."""
    ahead = take(session, "identity", person_id)
    if ahead is not MISSING:
        return ahead  # type: ignore[no-any-return]
    return (await session.scalars(_identities_of(), {"person_id": person_id})).first()
