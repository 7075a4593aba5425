"""One live question at a time: the rule that takes buttons away.

A message with buttons is a *question*.  A person should only ever see
buttons that still mean something, so the engine applies one rule to every
message it sends, whatever the flow:

- a question that has been **answered** (one of its buttons was pressed),
  **superseded** (a newer question on the same topic, or of the same
  *series*, went to the same person or group) or **expired** (a flow closed
  its topic) loses its buttons: the old message is edited where the platform
  allows it;
- a question is not sent twice in a row: identical to the last message the
  person got, still open, it is not sent again (unless they asked for it with
  a command); after other messages it is sent anew and the older copy loses
  its buttons, so the live one is always at the bottom of the chat.

A question's *topic* is what its buttons act on, read from the choice ids:
the prefix and the first number (``agr:7:roles:agree`` → ``agr:7``, the
agreement of group 7), so the agreement's next item supersedes the previous
one while a "did you meet?" about meeting 12 stays answerable next to a
reminder about meeting 13.  A flow that asks the same kind of question
again and again (a mentor's coaching question before each meeting, the
reflection prompt after it) names a *series* (:attr:`Reply.series`): the
newer question of a series supersedes the older one, which would otherwise
stay open for good, its buttons live and its row kept, though the flow has
moved on.  A press on such an old button is answered as before: by the flow,
from its own state.

State lives in ``live_questions``, so the rule holds across workers and
restarts, whether a reply is sent directly or through the outbox.  Edits that
remove buttons go through the outbox as replies with ``clears`` set; the
platform id of a sent message (``message_ref``) comes back from the
transports through ``bot.core.delivery.Delivery.sent`` (and the outbox's own
record of what it sent).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from bot.core.types import Address, Choice, ChoiceIn, CommandIn, Event, Outgoing, Reply
from bot.store import batch_memo, outbox
from bot.store import live_questions as lq
from bot.store.batch_memo import MISSING, take
from bot.store.db import to_db
from bot.store.live_questions import LiveQuestion
from bot.store.models import OutboxMessage
from bot.store.session import DbSession, hold_written, inserted_id, run_core

#: Hex digits of a question's fingerprint that are stored and compared.
FINGERPRINT = 16
#: How a question's series is marked among its topics.
SERIES = "~"


def topic_of(choice_id: str) -> str:
    """``agr:7:roles:agree`` → ``agr:7``; without a number, the prefix alone.

    Feedback questions are per round (``fb:7:c:2:…`` → ``fb:7:c:2``): a
    check-in and the questions after a meeting are separate questions."""
    parts = choice_id.split(":")
    if parts[0] == "fb" and len(parts) >= 4 and parts[1].isdigit():
        return ":".join(parts[:4])
    number = next((p for p in parts[1:] if p.isdigit()), None)
    return f"{parts[0]}:{number}" if number is not None else parts[0]


def topics_of(choices: Iterable[Choice], series: str | None = None) -> set[str]:
    """The topics of a question's buttons, and its series as one more topic
    (marked ``~``: no choice prefix starts so, so a series never meets a
    button's topic)."""
    topics = {topic_of(c.id) for c in choices}
    if series:
        topics.add(SERIES + series.replace(" ", "_"))
    return topics


def fingerprint(reply: Reply) -> str:
    """Same text and same buttons: the same question.  The first 64 bits of
    the SHA-256 are plenty to tell one person's questions apart and are kept
    on every open question; rows from before kept all 256 (their prefix is
    compared, see :func:`same_question`)."""
    blob = "\x1f".join([reply.text, *(f"{c.id}\x1e{c.label}" for c in reply.choices)])
    return hashlib.sha256(blob.encode()).hexdigest()[:FINGERPRINT]


def same_question(stored: str, mark: str) -> bool:
    return stored[:FINGERPRINT] == mark


def strip_reply(question: LiveQuestion) -> Reply:
    """The edit that removes a question's buttons.  Its text stays as it was
    in the chat: the transports edit only the buttons of message ``clears``,
    so the edit carries no words (and the question keeps none)."""
    assert question.message_ref is not None
    return Reply("", clears=question.message_ref)


def _address(question: LiveQuestion) -> Address:
    return Address(question.platform, question.chat_id, None, question.kind)  # type: ignore[arg-type]


class Questions:
    """The live-question bookkeeping of one transaction.

    Each scope's open questions (a person's private chats on one platform, or
    one group chat) are read once per transaction and then kept up to date
    here as questions are asked, followed and closed: every write of this
    class goes to the database at once (Core statements, not the ORM's unit
    of work), and the loaded rows are updated to match, so the copy held
    here is what the database holds for the rest of the transaction.
    """

    def __init__(
        self,
        session: DbSession,
        now: datetime,
        outbox_ids: list[int],
        hold: outbox.Holding | None = None,
    ) -> None:
        self.session = session
        self.now = now
        #: edits written for this worker to send right after the commit
        self.hold = hold
        #: where the ids of outbox rows written for edits go (delivered after commit)
        self.outbox_ids = outbox_ids
        #: the same ids again: edits of earlier messages, which a caller showing
        #: a transcript may deliver before the event's own replies
        self.edit_ids: list[int] = []
        #: questions asked in this transaction: an offer that lapses gives way
        #: to the next question, not to one sent along with it
        self.asked_now: set[int] = set()
        #: scope -> the questions loaded in it (closed ones are skipped on reading)
        self._scopes: dict[tuple[str, int | None, str], list[LiveQuestion]] = {}

    def preload(self, platform: str, person_id: int, questions: list[LiveQuestion]) -> None:
        """A person's open private questions on ``platform``, oldest first,
        read along with the event's sender (see ``bot.core.engine``)."""
        self._scopes[self._key(platform, person_id, "")] = questions

    def forget(self) -> None:
        """Drop what was loaded (after a bulk change such as an erasure)."""
        self._scopes.clear()

    @staticmethod
    def _key(platform: str, person_id: int | None, chat_id: str) -> tuple[str, int | None, str]:
        return (platform, person_id, "") if person_id is not None else (platform, None, chat_id)

    async def _open(self, platform: str, person_id: int | None, chat_id: str) -> list[LiveQuestion]:
        """Open questions in one scope, oldest first: a person's private
        chats (on one platform), or one group chat."""
        key = self._key(platform, person_id, chat_id)
        loaded = self._scopes.get(key)
        if loaded is None:
            ahead = (
                take(self.session, "open_questions", (platform, person_id))
                if person_id is not None
                else MISSING
            )
            if ahead is not MISSING:
                loaded = list(ahead)
            elif person_id is not None:
                stmt = lq.open_of_person()
                params: dict[str, object] = {"platform": platform, "person_id": person_id}
                loaded = list((await self.session.scalars(stmt, params)).all())
            else:
                stmt = lq.open_in_group()
                params = {"platform": platform, "chat_id": chat_id}
                loaded = list((await self.session.scalars(stmt, params)).all())
            self._scopes[key] = loaded
        return [q for q in loaded if q.open]

    async def _followed(self, platform: str, person_id: int | None, chat_id: str) -> None:
        """A message without buttons went out: open questions are no longer
        the last thing in the chat."""
        loaded = self._scopes.get(self._key(platform, person_id, chat_id))
        if loaded is not None:
            waiting = [q for q in loaded if q.open and not q.followed]
            if not waiting:
                return  # nothing open is the last message: nothing to write
            await self._follow(waiting)
            return
        if person_id is not None:
            stmt = lq.follow_person()
            params: dict[str, object] = {"b_platform": platform, "b_person_id": person_id}
        else:
            stmt = lq.follow_group()
            params = {"b_platform": platform, "b_chat_id": chat_id}
        await run_core(self.session, stmt, params)

    async def _follow(self, questions: list[LiveQuestion]) -> None:
        """Mark loaded open questions as followed by a later message."""
        await run_core(self.session, lq.follow_ids(), {"ids": [q.id for q in questions]})
        for question in questions:
            set_committed_value(question, "followed", True)

    async def _close(
        self, question: LiveQuestion, *, keep: str | None = None, followed: bool = False
    ) -> None:
        """Close ``question``; edit its buttons away unless its message is
        ``keep`` (the pressed message, which the reply itself replaces) or
        still carries another open question (a digest folds several into one
        message; its buttons go when the last of them closes).  ``followed``:
        a newer message follows it too (noted in the same statement)."""
        closed_at = to_db(self.now)
        stmt = lq.close_followed() if followed else lq.close_one()
        await run_core(self.session, stmt, {"qid": question.id, "at": closed_at})
        set_committed_value(question, "open", False)
        if followed:
            set_committed_value(question, "followed", True)
        set_committed_value(question, "closed_at", closed_at)
        if question.message_ref is None or question.message_ref == keep:
            return
        if await _shares_open_message(self.session, question):
            return
        msg_id = await outbox.enqueue(
            self.session,
            _address(question),
            strip_reply(question),
            self.now,
            person_id=question.person_id,
            key=f"strip:{question.id}",  # one removal per question, known after retention
            hold=self.hold,
        )
        if msg_id is not None:
            self.outbox_ids.append(msg_id)
            self.edit_ids.append(msg_id)

    async def answered(
        self,
        address: Address,
        person_id: int,
        choice_id: str,
        message_ref: str | None,
        *,
        replaced: bool,
    ) -> str | None:
        """A button was pressed.  In a private chat its question is answered
        and loses its buttons, unless a reply replaces the pressed message.
        In a group others may still answer it, so it only closes when a reply
        replaces it (the new content is then the open question).

        Returns the platform ref of the pressed message (given, or that of the
        newest open question carrying the pressed choice)."""
        in_group = address.kind == "group"
        scope = None if in_group else person_id
        pressed = [
            q
            for q in await self._open(address.platform, scope, address.chat_id)
            if choice_id in q.choice_ids.split("\n")
        ]
        ref = message_ref or (pressed[-1].message_ref if pressed else None)
        if in_group and not replaced:
            return ref
        for question in pressed:
            if in_group and question.message_ref not in (None, ref):
                continue  # another copy in the group stays for the others
            await self._close(question, keep=ref if replaced else None)
        return ref

    async def asked(
        self,
        address: Address,
        person_id: int | None,
        reply: Reply,
        *,
        solicited: bool = False,
        message_ref: str | None = None,
        digest: str | None = None,
    ) -> Reply | None:
        """Note a question about to be sent; ``None`` means: do not send it
        (the same question is already the newest open one).  Older open
        questions on its topics lose their buttons.

        ``digest`` is the scheduler's mark of the moment: a question queued
        after another message of the same moment is folded into one message
        with it, so that message is not this question alone and a later
        identical question is no repeat of it."""
        if reply.clears is not None:
            return reply
        if reply.private and address.kind == "group":
            return reply  # an answer only one member sees cannot be edited later
        scope_person = person_id if address.kind == "dm" else None
        if address.kind == "dm" and person_id is None:
            return reply
        if not reply.choices:
            if not reply.replace:  # an edit stays where it was in the chat
                await self._followed(address.platform, scope_person, address.chat_id)
            return reply
        open_questions = await self._open(address.platform, scope_person, address.chat_id)
        mark = fingerprint(reply)
        newest = open_questions[-1] if open_questions else None
        if (
            not solicited
            and newest is not None
            and same_question(newest.fingerprint, mark)
            and not newest.followed
            and newest.message_ref != message_ref
        ):
            return None
        # every open question is followed by this one; those on its topics
        # (and lapsing offers) also close
        topics = topics_of(reply.choices, reply.series)
        staying: list[LiveQuestion] = []
        for question in open_questions:
            lapsed = question.lapses and question.id not in self.asked_now
            if lapsed or set(question.topics.split(" ")) & topics:
                await self._close(question, keep=message_ref, followed=not question.followed)
            elif not question.followed:
                staying.append(question)
        if staying:
            await self._follow(staying)
        values = {
            "platform": address.platform,
            "chat_id": address.chat_id,
            "kind": address.kind,
            "person_id": scope_person,
            "topics": " ".join(sorted(topics))[:400],
            "choice_ids": "\n".join(c.id for c in reply.choices),
            "fingerprint": mark,
            "message_ref": message_ref,
            "open": True,
            "lapses": reply.lapses,
            "followed": await self._folded(address, digest),
            "created_at": to_db(self.now),
            "closed_at": None,
        }
        row_id = await batch_memo.new_id(self.session, lq.LiveQuestion.__table__)  # type: ignore[arg-type]
        if row_id is not None:  # a batch of jobs writes it with the others, at its end
            batch_memo.defer_row(
                self.session, lq.insert_one(), {"id": row_id, **values}, unsure=False
            )
        else:
            row_id = inserted_id(await run_core(self.session, lq.insert_one(), values))
        # the row is in the database already (or kept back by the batch): the
        # session holds it as loaded, built as a load builds it (no __init__,
        # whose fifteen instrumented attribute sets cost more than the rest)
        row = hold_written(self.session, lq.LiveQuestion, {**values, "id": row_id})
        self._scopes[self._key(address.platform, scope_person, address.chat_id)].append(row)
        self.asked_now.add(row.id)
        return dataclasses.replace(reply, question=row.id)

    async def _folded(self, address: Address, digest: str | None) -> bool:
        """Will this message be folded into a digest after another one?"""
        if digest is None:
            return False
        ahead = take(self.session, "folded", (address.platform, address.chat_id, digest))
        if ahead is not MISSING:
            return bool(ahead)
        found = await self.session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.platform == address.platform,
                OutboxMessage.chat_id == address.chat_id,
                OutboxMessage.digest == digest,
            )
            .limit(1)
        )
        return found is not None

    async def expire(self, topic: str) -> None:
        """A flow closed a topic (a round ended, a meeting was cancelled):
        every open question on it loses its buttons."""
        stmt = select(LiveQuestion).where(
            LiveQuestion.open.is_(True), LiveQuestion.topics.contains(topic)
        )
        for question in await self.session.scalars(stmt):
            if topic in question.topics.split(" "):
                await self._close(question)


async def _shares_open_message(session: DbSession, question: LiveQuestion) -> bool:
    """Does another open question live on the same platform message?"""
    found = await session.scalar(
        lq.shares_message(),
        {
            "b_platform": question.platform,
            "b_chat_id": question.chat_id,
            "message_ref": question.message_ref,
            "qid": question.id,
        },
    )
    return found is not None


async def settle_replies(
    questions: Questions, event: Event, person_id: int, replies: list[Outgoing]
) -> list[Outgoing]:
    """Apply the rule to one event's direct replies, in the order they go out.

    A press in a private chat answers its question; the first reply that
    replaces the pressed message takes over that message (and its platform
    id).  A question the person asked for with a command is always sent."""
    pressed_ref: str | None = None
    replaced = False
    if isinstance(event, ChoiceIn):
        replaced = any(
            o.reply.replace and not o.reply.private and o.address == event.address for o in replies
        )
        pressed_ref = await questions.answered(
            event.address,
            person_id,
            event.choice_id,
            event.message_ref,
            replaced=replaced,
        )
    settled: list[Outgoing] = []
    takes_over = replaced
    for out in replies:
        ref = None
        if (
            takes_over
            and out.reply.replace
            and not out.reply.private
            and out.address == event.address
        ):
            ref, takes_over = pressed_ref, False
        reply = await questions.asked(
            out.address,
            person_id if out.address.kind == "dm" else None,
            out.reply,
            solicited=isinstance(event, CommandIn) or out.reply.replace,
            message_ref=ref,
        )
        if reply is not None:
            settled.append(dataclasses.replace(out, reply=reply))
    return settled
