"""Outbox delivery: claim pending messages, send them, record the outcome.

Each message is marked sent in its own short transaction right after the
transport accepted it, so a crash repeats at most the message in flight
(a send that only edited, which is harmless to repeat, is marked together
with the next one).
A transport that paces each chat (Telegram: about one message a second per
person) declares ``lanes``: a batch is then sent on that many lanes, each
taking whole chats in turn, so one person's pace never holds up a fan-out
to everyone else; a chat's messages still leave in order, on one lane.
Rows the scheduler marked as one moment's digest leave as one message
(:mod:`bot.digest`).  Transient errors back off exponentially (or as long as the server asks);
permanent ones mark the person unreachable and stop, with no retry storm.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Table, bindparam, delete, select, update

from bot.core.digest import Parcel, parcels
from bot.core.ports import Clock, DeliveryError, Transport
from bot.core.types import Address, Outgoing, Reply
from bot.store.claims import claim
from bot.store.db import Database, to_db
from bot.store.live_questions import LiveQuestion
from bot.store.models import OutboxMessage, Person
from bot.store.outbox import OUTBOX, Holding
from bot.store.session import DbSession

log = logging.getLogger(__name__)

LIVE_QUESTIONS: Table = LiveQuestion.__table__  # type: ignore[assignment]

CLAIM_FOR = timedelta(minutes=2)
#: messages an event's own transaction claims for this worker: few enough to be
#: sent well within CLAIM_FOR even at a platform's flood limit; the rest of a
#: large fan-out is claimed batch by batch right before it is sent, so no claim
#: runs out while its message still waits (and the sweep would send it again)
HOLD_AT_MOST = 100
MAX_ATTEMPTS = 12
#: sends that created no message (edits) whose record may wait for the next one
MAX_UNRECORDED = 20
MAX_BACKOFF = timedelta(hours=1)

#: marking a message sent, in one prebuilt Core statement (``ids``: the rows of
#: one parcel): it runs once per message, so its cost is paid per message
_MARK_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(sent_at=bindparam("at", type_=DateTime), claimed_until=None)
)

#: the same for a message of one row (most): a plain ``id =``, no list to expand
_MARK_ONE_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("msg_id"))
    .values(sent_at=bindparam("at", type_=DateTime), claimed_until=None)
)

#: a question went out as platform message ``ref``: noted on its live question
#: (whose ``open`` says whether it was closed before it was even sent)
_NOTE_REF = (
    update(LIVE_QUESTIONS)
    .where(LIVE_QUESTIONS.c.id == bindparam("qid"))
    .values(message_ref=bindparam("ref"))
    .returning(LIVE_QUESTIONS.c.open)
)

#: a delivered edit that took a closed question's buttons away (key ``strip:``)
#: is deleted instead of marked: it was no message to count, nothing reads it
#: again, and repeating it (were its question closed twice) is harmless
_FORGET = delete(OUTBOX).where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
_FORGET_ONE = delete(OUTBOX).where(OUTBOX.c.id == bindparam("msg_id"))

#: an event's messages to others claimed for this worker (see ``Delivery.hold``),
#: built once: it runs in every event that tells someone else
_HOLD = (
    update(OUTBOX)
    .where(
        OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        OUTBOX.c.platform.in_(bindparam("platforms", expanding=True)),
    )
    .values(claimed_until=bindparam("until", type_=DateTime))
)

#: the held messages still to send, read right after the event's commit (built once)
_HELD = (
    select(OutboxMessage)
    .where(
        OutboxMessage.id.in_(bindparam("ids", expanding=True)),
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.platform.in_(bindparam("platforms", expanding=True)),
    )
    .order_by(OutboxMessage.id)
)

#: a sent message that carried questions: where it went, its platform id, and
#: the places (in the bookkeeping steps) of its questions' ``_NOTE_REF``
_Noted = tuple[Address, str, list[int]]

UnreachableHook = Callable[[DbSession, int, datetime], Awaitable[list[int]]]


class Delivery:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock
        self.transports: dict[str, Transport] = {}
        self.on_unreachable: UnreachableHook | None = None
        #: ids of a large fan-out that an event's transaction did not hold (see
        #: :meth:`hold`): claimed batch by batch when they are sent
        self._unheld: set[int] = set()

    def add_transport(self, transport: Transport) -> None:
        self.transports[transport.platform] = transport

    async def deliver(self, ids: list[int] | None = None, limit: int = 200) -> int:
        """Send due messages (only ``ids`` if given); returns how many were sent.

        Given ``ids`` (an event's messages to others, e.g. a broadcast to
        thousands), all of them are sent, ``limit`` at a time; each is tried
        once here (what fails waits for its retry time, the sweep's job)."""
        sent = 0
        tried: set[int] = set()
        while True:
            wanted = None if ids is None else [i for i in ids if i not in tried]
            batch = await self._claim(wanted, limit)
            if not batch:
                return sent
            tried.update(row.id for row in batch)
            sent += await self._send_batch(batch)
            if len(batch) < limit:
                return sent

    async def hold(self, session: DbSession, ids: list[int], now: datetime) -> None:
        """Claim, inside the transaction that wrote them, the messages this
        worker sends right after the commit (:meth:`deliver_claimed`): those for
        the platforms it has a transport for.  The claim then costs no
        transaction of its own, and the sweep leaves them alone meanwhile, as it
        does the direct replies; if this worker dies first, the claim runs out
        and the sweep sends them."""
        platforms = list(self.transports)
        if not ids or not platforms:
            return
        held = ids[:HOLD_AT_MOST]
        await session.execute(
            _HOLD, {"ids": held, "platforms": platforms, "until": to_db(now + CLAIM_FOR)}
        )
        self._unheld.update(ids[HOLD_AT_MOST:])

    def holding(self, now: datetime) -> Holding | None:
        """How an event's messages to others are claimed as they are written,
        for this worker to send right after the commit (:meth:`deliver_written`):
        those for the platforms it has a transport for, at most
        :data:`HOLD_AT_MOST` of them (the rest is claimed as it goes).  The
        same claim as :meth:`hold`, without a statement of its own and
        without reading the rows back."""
        if not self.transports:
            return None
        return Holding(now + CLAIM_FOR, frozenset(self.transports), HOLD_AT_MOST)

    async def deliver_written(self, rows: list[OutboxMessage], later: list[int]) -> int:
        """Send what an event's transaction wrote for this worker (see
        :meth:`holding`): the rows it wrote claimed, as written, then the
        rest of a large fan-out, claimed batch by batch as it goes."""
        sent = await self.deliver_rows(rows) if rows else 0
        if later:
            sent += await self.deliver(later)
        return sent

    async def deliver_claimed(self, ids: list[int]) -> int:
        """Send messages this worker already holds: the direct replies an
        event wrote, claimed in its own transaction so the sweep leaves them
        to the worker that answers right after the commit.  Messages of a
        large fan-out beyond :data:`HOLD_AT_MOST` were not held; they are
        claimed batch by batch as they go."""
        if not ids:
            return 0
        rest = [i for i in ids if i in self._unheld]
        self._unheld.difference_update(rest)
        unheld = set(rest)
        mine = [i for i in ids if i not in unheld]
        sent = await self._deliver_held(mine) if mine else 0
        if rest:  # beyond what the event held: claimed batch by batch as they go
            sent += await self.deliver(rest)
        return sent

    async def deliver_rows(self, rows: list[OutboxMessage]) -> int:
        """Send messages this worker holds whose rows it wrote itself (an
        event's direct replies, as :func:`bot.store.outbox.enqueue` kept
        them): the same as :meth:`deliver_claimed` without reading them back."""
        platforms = self.transports
        batch = sorted((row for row in rows if row.platform in platforms), key=lambda r: r.id)
        return await self._send_batch(batch) if batch else 0

    async def _deliver_held(self, ids: list[int]) -> int:
        async with self.db.sessions() as session:
            params = {"ids": ids, "platforms": list(self.transports)}
            batch = list((await session.scalars(_HELD, params)).all())
        return await self._send_batch(batch)

    async def mark_sent(self, ids: list[int]) -> None:
        """The adapter delivered these itself (an interaction's answer, a
        callback alert)."""
        if not ids:
            return
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))
                .values(sent_at=to_db(self.clock.now()), claimed_until=None)
            )

    async def _send_batch(self, batch: list[OutboxMessage]) -> int:
        todo = parcels(batch)
        lanes = min(
            (getattr(self.transports[p.rows[0].platform], "lanes", 1) for p in todo), default=1
        )
        if lanes <= 1:
            return await self._send_in_order(todo)
        by_chat: dict[tuple[str, str], list[Parcel]] = {}
        for parcel in todo:
            by_chat.setdefault((parcel.rows[0].platform, parcel.rows[0].chat_id), []).append(parcel)
        if len(by_chat) == 1:  # (an event's replies, mostly) one lane: no tasks to start
            return await self._send_in_order(todo)
        chats = iter(list(by_chat.values()))
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._lane(chats)) for _ in range(min(lanes, len(by_chat)))]
        return sum(task.result() for task in tasks)

    async def _lane(self, chats: Iterator[list[Parcel]]) -> int:
        """Send whole chats, one after the other, until none is left."""
        sent = 0
        for chat in chats:  # shared by the lanes: each chat goes to one lane
            sent += await self._send_in_order(chat)
        return sent

    async def _send_in_order(self, todo: list[Parcel]) -> int:
        sent = 0
        blocked: set[tuple[str, str]] = set()
        unrecorded: list[tuple[Parcel, str | None]] = []
        for parcel in todo:
            first = parcel.rows[0]
            chat = (first.platform, first.chat_id)
            if chat in blocked:  # keep a chat's messages in order
                for row in parcel.rows:
                    await self._release(row.id)
                continue
            if await self._send(parcel, unrecorded):
                sent += 1
            else:
                blocked.add(chat)
        if unrecorded:  # (if this worker dies first, they are edited again)
            await self._record(unrecorded)
        return sent

    async def _claim(self, ids: list[int] | None, limit: int) -> list[OutboxMessage]:
        now = to_db(self.clock.now())
        platforms = list(self.transports)
        if not platforms or (ids is not None and not ids):
            return []
        where = [
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.platform.in_(platforms),
        ]
        if ids is not None:
            where.append(OutboxMessage.id.in_(ids))
        return await claim(
            self.db,
            OutboxMessage,
            where,
            [OutboxMessage.id],
            now=now,
            hold=CLAIM_FOR,
            limit=limit,
        )

    async def _release(self, msg_id: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == msg_id).values(claimed_until=None)
            )

    async def _send(
        self, parcel: Parcel, unrecorded: list[tuple[Parcel, str | None]] | None = None
    ) -> bool:
        """Send one message (a single row, or a digest of several) and record
        the outcome.  A transport that must keep its next message back until
        this one is recorded (Telegram, to repeat at most one message per
        worker after a crash) has a ``settled`` hook, called once the record
        is committed.

        A send that created no message -- it edited one, or took its buttons
        off, which the transport tells by ``repeatable()`` -- is harmless to
        repeat, so its record may wait in ``unrecorded`` and be committed
        with the next one (the caller commits what is left at the end): one
        transaction instead of two for an edit followed by a message.  After
        a crash such an edit is made again, with the same content."""
        first = parcel.rows[0]
        transport = self.transports[first.platform]
        if unrecorded and len(unrecorded) >= MAX_UNRECORDED:
            await self._record(unrecorded)
        try:
            try:
                ref = await transport.send(parcel.outgoing)
            except DeliveryError as exc:
                for row in parcel.rows:
                    await self._failed(row, exc)
                return False
            except Exception as exc:  # a bug in an adapter must not stop the sweep
                log.exception("transport %s raised", first.platform)
                for row in parcel.rows:
                    await self._failed(row, DeliveryError(type(exc).__name__, permanent=False))
                return False
            repeatable = getattr(transport, "repeatable", None)
            if unrecorded is not None and repeatable is not None and repeatable():
                unrecorded.append((parcel, ref))
                return True
            done = [*(unrecorded or ()), (parcel, ref)]
            if unrecorded:
                unrecorded.clear()
            await self._record(done)
            return True
        finally:
            settled = getattr(transport, "settled", None)
            if settled is not None:
                settled()

    async def _record(self, done: list[tuple[Parcel, str | None]]) -> None:
        """Mark sent messages as sent, in one transaction (``done`` is emptied)."""
        batch = list(done)
        done.clear()
        if not any(ref is not None and _asks(parcel) for parcel, ref in batch):
            # no question went out with a message id to note: only the marks
            now = to_db(self.clock.now())
            if all(len(p.rows) == 1 for p, _ in batch):
                marks = [{"msg_id": p.rows[0].id, "at": now} for p, _ in batch]
                one = [_FORGET_ONE if _strips(p) else _MARK_ONE_SENT for p, _ in batch]
                await self.db.bookkeep(one if _FORGET_ONE in one else _MARK_ONE_SENT, marks)
            else:
                rows = [{"ids": [row.id for row in p.rows], "at": now} for p, _ in batch]
                each = [_FORGET if _strips(p) else _MARK_SENT for p, _ in batch]
                await self.db.bookkeep(each if _FORGET in each else _MARK_SENT, rows)
            return
        # Not waiting for the disk: a lost mark only resends (see transaction).
        # Each question that went out learns its message's platform id in the
        # same short transaction, on a bare connection (Core statements, no
        # ORM session): this runs for every question the bot sends.
        now = to_db(self.clock.now())
        steps: list[tuple[Any, dict[str, Any]]] = []
        noted: list[_Noted] = []
        for parcel, ref in batch:
            if len(parcel.rows) == 1:
                steps.append(
                    (
                        _FORGET_ONE if _strips(parcel) else _MARK_ONE_SENT,
                        {"msg_id": parcel.rows[0].id, "at": now},
                    )
                )
            else:
                steps.append(
                    (
                        _FORGET if _strips(parcel) else _MARK_SENT,
                        {"ids": [row.id for row in parcel.rows], "at": now},
                    )
                )
            if ref is not None:
                asked = (row.payload.get("question") for row in parcel.rows)
                _note(steps, noted, parcel.outgoing.address, ref, asked)
        await self._note_and_strip(steps, noted)

    async def sent(self, out: Outgoing, ref: str | None) -> None:
        """An adapter sent a direct reply as platform message ``ref``: remember
        it for the live-question rule (and strip it at once if already closed).
        The same step as for the outbox's own messages (:meth:`_record`)."""
        if out.reply.question is None or ref is None:
            return
        steps: list[tuple[Any, dict[str, Any]]] = []
        noted: list[_Noted] = []
        _note(steps, noted, out.address, ref, [out.reply.question])
        await self._note_and_strip(steps, noted)

    async def _note_and_strip(
        self, steps: list[tuple[Any, dict[str, Any]]], noted: list[_Noted]
    ) -> None:
        """Run the bookkeeping ``steps`` in one short transaction on a bare
        connection, then take the buttons off each message in ``noted``
        whose questions were all closed before it went out.

        The rule of the live questions (a digest's buttons stay while one of
        its questions is open; a question whose row is gone is skipped) is
        kept here for every sent message, direct replies and the outbox's
        alike, so the platform ids are noted with Core statements only."""
        results = await self.db.bookkeep_steps(steps)
        strips = [
            Outgoing(address, Reply("", clears=ref))
            for address, ref, at in noted
            if (found := [results[i][0].open for i in at if results[i]]) and not any(found)
        ]
        for strip in strips:
            await self._strip(strip)

    async def _strip(self, strip: Outgoing) -> None:
        """Remove the buttons of a question that closed before it was sent; a
        failure only leaves a button whose press gets the stale answer."""
        transport = self.transports.get(strip.address.platform)
        if transport is None:
            return
        try:
            await transport.send(strip)
        except Exception as exc:
            log.info("could not remove the buttons of a closed question: %s", type(exc).__name__)

    async def _failed(self, row: OutboxMessage, exc: DeliveryError) -> None:
        now = self.clock.now()
        attempts = row.attempts + 1
        log.warning("delivery of outbox %s failed: %s", row.id, exc.reason[:100])
        follow_up: list[int] = []
        async with self.db.transaction() as session:
            if exc.permanent or attempts >= MAX_ATTEMPTS:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id)
                    .values(failed_at=to_db(now), attempts=attempts, error=exc.reason[:200])
                )
                if exc.permanent and row.person_id is not None:
                    person = await session.get(Person, row.person_id)
                    if person is not None and person.unreachable_at is None:
                        person.unreachable_at = to_db(now)
                        if self.on_unreachable is not None:
                            follow_up = await self.on_unreachable(session, person.id, now)
            else:
                wait = (
                    timedelta(seconds=exc.retry_after)
                    if exc.retry_after
                    else min(timedelta(seconds=2**attempts), MAX_BACKOFF)
                )
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id)
                    .values(
                        attempts=attempts,
                        next_attempt_at=to_db(now + wait),
                        claimed_until=None,
                        error=exc.reason[:200],
                    )
                )
        if follow_up:
            await self.deliver(follow_up)


def _strips(parcel: Parcel) -> bool:
    """Is the parcel an edit that only took a closed question's buttons away?"""
    return all(row.idem_key.startswith("strip:") for row in parcel.rows)


def _asks(parcel: Parcel) -> bool:
    """Does a row of the parcel carry a question (whose message id is noted)?"""
    return any(row.payload.get("question") is not None for row in parcel.rows)


def _note(
    steps: list[tuple[Any, dict[str, Any]]],
    noted: list[_Noted],
    address: Address,
    ref: str,
    questions: Iterable[int | None],
) -> None:
    """Add a ``_NOTE_REF`` step for each question a message sent as ``ref``
    carried, and the message to ``noted`` if it carried any."""
    at: list[int] = []
    for question in questions:
        if question is not None:
            at.append(len(steps))
            steps.append((_NOTE_REF, {"qid": question, "ref": ref}))
    if at:
        noted.append((address, ref, at))
