"""The durable inbox: incoming updates stored before they are confirmed.

An adapter stores each update here (one short transaction, idempotent by
platform and update id) before it tells the platform the update arrived --
the next ``getUpdates`` offset, a webhook's 200 -- and the core handles it
from here.  The row is marked handled in the same transaction as the
update's effects (:meth:`bot.engine.Engine.process`), so after a crash
whatever was stored and not handled is handled once: by the worker that
stored it, or, when that worker died, by the scheduler's sweep once the
claim has run out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import DateTime, String, Table, bindparam, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.core.types import Actor, Address, ChoiceIn, CommandIn, Event, TextIn
from bot.store.claims import claim
from bot.store.db import Database, to_db
from bot.store.models import InboxUpdate
from bot.store.session import DbSession, run_core

INBOX: Table = InboxUpdate.__table__  # type: ignore[assignment]

#: how long the worker that stored an update has it to itself
CLAIM_FOR = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update to store: the platform's id for it, the neutral event, and
    ``edit_ref``, the platform's id of the message whose button was pressed
    (so a reply that replaces it can still edit it when sent from the outbox)."""

    update_id: str
    event: Event
    edit_ref: str | None = None


def event_to_json(event: Event, edit_ref: str | None = None) -> dict[str, Any]:
    a, d = event.actor, event.address
    data: dict[str, Any] = {
        "actor": [a.platform, a.user_id, a.display_name, a.locale, a.dm_chat_id],
        "address": [d.platform, d.chat_id, d.thread_id, d.kind],
    }
    if isinstance(event, TextIn):
        data |= {"type": "text", "text": event.text}
    elif isinstance(event, CommandIn):
        data |= {"type": "command", "name": event.name, "args": event.args}
    else:
        data |= {"type": "choice", "choice": event.choice_id}
        if event.message_ref is not None:
            data["message_ref"] = event.message_ref
    if edit_ref is not None:
        data["edit_ref"] = edit_ref
    return data


def event_from_json(data: dict[str, Any]) -> tuple[Event, str | None]:
    """The stored event and its ``edit_ref``; raises ``KeyError``/``ValueError``
    for a row that holds no event (blanked after handling)."""
    actor = Actor(*data["actor"])
    platform, chat_id, thread_id, kind = data["address"]
    address = Address(platform, chat_id, thread_id, kind)
    kind_of = data["type"]
    event: Event
    if kind_of == "text":
        event = TextIn(actor, address, data["text"])
    elif kind_of == "command":
        event = CommandIn(actor, address, data["name"], data.get("args", ""))
    elif kind_of == "choice":
        event = ChoiceIn(actor, address, data["choice"], message_ref=data.get("message_ref"))
    else:
        raise ValueError(f"unknown event type {kind_of!r}")
    return event, data.get("edit_ref")


async def store(db: Database, incoming: Sequence[Incoming], now: datetime) -> dict[str, int]:
    """Store updates in one transaction, each claimed by this worker; returns
    ``update_id -> inbox id`` for those that were new.  An update stored
    before (by this or another worker) is left as it is and not returned."""
    if not incoming:
        return {}
    stamp = to_db(now)
    rows = [
        {
            "platform": item.event.actor.platform,
            "update_id": item.update_id[:64],
            "sender": item.event.actor.user_id[:64],
            "event": event_to_json(item.event, item.edit_ref),
            "received_at": stamp,
            "claimed_until": to_db(now + CLAIM_FOR),
        }
        for item in incoming
    ]
    async with db.transaction() as session:
        # The prebuilt statement, for a batch too (executemany; SQLAlchemy's
        # "insertmanyvalues" sends it as one multi-row INSERT with RETURNING):
        # a ``.values(rows)`` statement would be compiled anew for every batch.
        result = await session.execute(
            _insert_one(db.is_sqlite), rows[0] if len(rows) == 1 else rows
        )
        return {str(row.update_id): int(row.id) for row in result.all()}


def _insert(sqlite: bool) -> Any:
    """``INSERT ... ON CONFLICT (platform, update_id) DO NOTHING RETURNING``."""
    if sqlite:
        dialect_insert: Callable[..., Any] = sqlite_insert
    else:  # PostgreSQL's dialect is imported only where it is used
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        dialect_insert = pg_insert
    return (
        dialect_insert(INBOX)
        .on_conflict_do_nothing(index_elements=["platform", "update_id"])
        .returning(INBOX.c.id, INBOX.c.update_id)
    )


@cache
def _insert_one(sqlite: bool) -> Any:
    """The insert of one update with plain parameters, built once per dialect
    (its compiled form is then cached by SQLAlchemy)."""
    columns = ("platform", "update_id", "sender", "event", "received_at", "claimed_until")
    return _insert(sqlite).values(
        {name: bindparam(name, type_=INBOX.c[name].type) for name in columns}
    )


#: marking a row handled, if nobody did: one prebuilt statement (see :func:`mark_handled`)
_MARK_HANDLED = (
    update(INBOX)
    .where(INBOX.c.id == bindparam("inbox_id"), INBOX.c.handled_at.is_(None))
    .values(
        handled_at=bindparam("at", type_=DateTime),
        claimed_until=None,
        outcome=bindparam("outcome", type_=String),
        event={},
    )
)


async def mark_handled(
    session: DbSession, inbox_id: int, now: datetime, outcome: str = "handled"
) -> bool:
    """Mark the row handled (its words go: only the key stays, to recognise
    a repeat) unless it already was; ``False`` then, and the caller leaves
    it alone.  Run first in the transaction that handles the update: the
    update takes the row (on PostgreSQL a second worker's mark waits for
    this transaction and then finds the row handled; SQLite's BEGIN
    IMMEDIATE already serialises), and the mark commits with the update's
    effects or not at all -- the read, lock and later write in one statement."""
    result = await run_core(
        session, _MARK_HANDLED, {"inbox_id": inbox_id, "at": to_db(now), "outcome": outcome}
    )
    return bool(result.rowcount == 1)


async def lock(session: Any, inbox_id: int, *, for_update: bool) -> InboxUpdate | None:
    """The row, locked for this transaction on PostgreSQL (SQLite's
    BEGIN IMMEDIATE already serialises), so two workers never handle it twice."""
    stmt = select(InboxUpdate).where(InboxUpdate.id == inbox_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()  # type: ignore[no-any-return]


async def claim_stale(
    db: Database, now: datetime, platforms: Sequence[str], limit: int = 200
) -> list[InboxUpdate]:
    """Unhandled updates of ``platforms`` (those this worker can answer on)
    whose worker's claim ran out (it died, or was stopped mid-burst): taken
    for this worker, oldest first."""
    if not platforms:
        return []
    return await claim(
        db,
        InboxUpdate,
        [InboxUpdate.handled_at.is_(None), InboxUpdate.platform.in_(list(platforms))],
        [InboxUpdate.id],
        now=to_db(now),
        hold=CLAIM_FOR,
        limit=limit,
    )


__all__ = [
    "CLAIM_FOR",
    "Incoming",
    "claim_stale",
    "event_from_json",
    "event_to_json",
    "lock",
    "mark_handled",
    "store",
]
