"""Outbox rows: written inside the causing transaction, delivered after commit."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import Table, insert

from bot.core.types import Address, Attachment, Choice, Outgoing, Reply
from bot.store import batch_memo
from bot.store.db import to_db
from bot.store.inserts import insert_absent, insert_statement
from bot.store.models import OutboxMessage
from bot.store.session import DbSession, detached_copy, run_core
from bot.store.spent import SENT

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class Holding:
    """An event's messages to others that the worker handling it sends right
    after the commit, claimed as they are written.

    A message for a platform this worker has a transport for is written with
    its claim (``claimed_until``) already set -- the sweep leaves it alone
    meanwhile, and if the worker dies first the claim runs out and the sweep
    sends it -- and its row as written is kept in ``rows``, so that
    delivering it reads nothing back.  Past ``at_most`` held rows (a large
    fan-out), messages are written unclaimed and their ids go to ``later``:
    they are claimed batch by batch right before they are sent, so no claim
    runs out while its message still waits.  Messages for other platforms
    are left to the workers that have their transports."""

    #: the claim's end (aware)
    until: datetime
    platforms: frozenset[str]
    at_most: int
    rows: list[OutboxMessage] = field(default_factory=list)
    later: list[int] = field(default_factory=list)
    #: held messages whose rows the transaction changed after writing them
    #: (an erasure scrubs them): read back before they are sent
    reread: list[int] = field(default_factory=list)

    def takes(self, platform: str) -> bool:
        """Is a message on ``platform`` written claimed (else maybe ``later``)?"""
        held = len(self.rows) + len(self.reread)
        return platform in self.platforms and held < self.at_most

    def stale(self) -> None:
        """The transaction rewrote outbox rows (see ``reread``): the held rows
        as written no longer count; they are read back before they are sent."""
        self.reread.extend(row.id for row in self.rows)
        self.rows.clear()

    def note(self, platform: str, msg_id: int, values: dict[str, Any] | None) -> None:
        """A message was written: its row as written (``values``, when it was
        written claimed), or its id for later."""
        if values is not None:
            self.rows.append(detached_copy(OutboxMessage, {**values, "id": msg_id}))
        elif platform in self.platforms:
            self.later.append(msg_id)


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """The reply as stored; fields at their defaults are left out (the payload
    is most of a waiting row, and :func:`payload_to_reply` fills them in)."""
    payload: dict[str, Any] = {"text": reply.text}
    if reply.choices:
        payload["choices"] = [[c.id, c.label] for c in reply.choices]
    if reply.private:
        payload["private"] = True
    if reply.replace:
        payload["replace"] = True
    if reply.attachments:
        payload["attachments"] = [
            [a.filename, a.mime_type, base64.b64encode(a.content).decode()]
            for a in reply.attachments
        ]
    if reply.question is not None:
        payload["question"] = reply.question
    if reply.clears is not None:
        payload["clears"] = reply.clears
    return payload


def payload_to_reply(payload: dict[str, Any]) -> Reply:
    return Reply(
        text=payload["text"],
        choices=tuple(Choice(i, label) for i, label in payload.get("choices", [])),
        private=bool(payload.get("private", False)),
        replace=bool(payload.get("replace", False)),
        attachments=tuple(
            Attachment(name, base64.b64decode(data), mime)
            for name, mime, data in payload.get("attachments", [])
        ),
        question=payload.get("question"),
        clears=payload.get("clears"),
    )


def row_to_outgoing(row: OutboxMessage) -> Outgoing:
    """The message as a transport sends it.  A private answer to something
    said in a group, sent from here (no interaction to answer privately in
    any more), goes to the sender's private chat."""
    address = Address(row.platform, row.chat_id, row.thread_id, row.address_kind)  # type: ignore[arg-type]
    payload = row.payload
    reply = payload_to_reply(payload)
    dm = payload.get("dm")
    if reply.private and address.kind == "group" and dm:
        address = Address(row.platform, str(dm), None, "dm")
    return Outgoing(address, reply, idem_key=row.idem_key, edit_ref=payload.get("edit_ref"))


class MessageOptions(TypedDict, total=False):
    """What an outbox row may carry besides its address, reply and time: the
    keywords :func:`message_values` and :func:`enqueue` share (see there)."""

    person_id: int | None
    key: str | None
    edit_ref: str | None
    dm: str | None
    claimed_until: datetime | None
    digest: str | None


def message_values(
    address: Address, reply: Reply, now: datetime, **options: Unpack[MessageOptions]
) -> dict[str, Any]:
    """An outbox row's columns (see :func:`enqueue`); without a ``key``, one
    of its own that no other row has."""
    payload = reply_to_payload(reply)
    edit_ref, dm = options.get("edit_ref"), options.get("dm")
    if edit_ref is not None:
        payload["edit_ref"] = edit_ref
    if dm is not None:
        payload["dm"] = dm
    claimed_until = options.get("claimed_until")
    return {
        "idem_key": options.get("key") or f"u:{uuid.uuid4().hex}",
        "person_id": options.get("person_id"),
        "platform": address.platform,
        "chat_id": address.chat_id,
        "thread_id": address.thread_id,
        "address_kind": address.kind,
        "payload": payload,
        "created_at": to_db(now),
        "next_attempt_at": to_db(now),
        "attempts": 0,
        "claimed_until": to_db(claimed_until) if claimed_until is not None else None,
        "digest": options.get("digest"),
        "sent_at": None,
        "failed_at": None,
        "error": None,
    }


async def enqueue(
    session: DbSession,
    address: Address,
    reply: Reply,
    now: datetime,
    *,
    keep: list[OutboxMessage] | None = None,
    hold: Holding | None = None,
    **options: Unpack[MessageOptions],
) -> int | None:
    """Add a message; with a ``key`` already present, nothing is added (idempotent).

    Direct replies to an event also carry ``edit_ref`` (the pressed message a
    ``replace`` reply edits), ``dm`` (the sender's private chat, for a private
    answer to a group that ends up sent from here) and ``claimed_until``: the
    handling worker delivers them right after the commit, so the sweep must
    not take them meanwhile.  Rows with the same ``digest`` for the same chat
    are delivered as one message.

    ``keep`` receives the row as written (a copy the session does not
    track), so the worker that delivers it right after the commit need not
    read it back.  ``hold``: the message is one of an event's messages to
    others that this worker sends right after the commit (see
    :class:`Holding`)."""
    row_id = await batch_memo.new_id(session, OUTBOX)
    held = row_id is None and hold is not None and hold.takes(address.platform)
    if held and hold is not None:
        options["claimed_until"] = hold.until
    values = message_values(address, reply, now, **options)
    if row_id is not None:  # a batch of jobs writes it with the others, at its end
        statement = insert_statement(
            OUTBOX, "idem_key", "sqlite", spent=SENT, returning=False, with_id=True
        )
        batch_memo.defer_row(session, statement, {"id": row_id, **values}, unsure=True)
        if hold is not None:  # (claimed when it is sent)
            hold.note(address.platform, row_id, None)
        return row_id
    # one statement: the insert itself skips a key already present
    msg_id = await insert_absent(session, OUTBOX, "idem_key", values, spent=SENT)
    if msg_id is not None and keep is not None:
        keep.append(detached_copy(OutboxMessage, {**values, "id": msg_id}))
    if msg_id is not None and hold is not None:
        hold.note(address.platform, msg_id, values if held else None)
    return msg_id


#: messages with keys of their own (:func:`message_values` without a key),
#: which no row has nor had: a plain insert, ids in the order given
_INSERT_FRESH = insert(OUTBOX).returning(OUTBOX.c.id, sort_by_parameter_order=True)


async def enqueue_fresh(
    session: DbSession, rows: list[dict[str, Any]], keep: list[OutboxMessage] | None = None
) -> list[int]:
    """Add messages whose keys are their own (an event's direct replies,
    from :func:`message_values` without a ``key``) in one statement; returns
    their ids in order.  ``keep`` as for :func:`enqueue`."""
    if not rows:
        return []
    result = await run_core(session, _INSERT_FRESH, rows[0] if len(rows) == 1 else rows)
    ids = [int(msg_id) for msg_id in result.scalars().all()]
    if keep is not None:
        keep.extend(
            detached_copy(OutboxMessage, {**values, "id": i})
            for i, values in zip(ids, rows, strict=True)
        )
    return ids
