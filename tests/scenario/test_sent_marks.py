"""A question sent from the outbox learns its message's id with its sent mark.

The sent mark and the question's platform id are written in one short
transaction on a bare connection; a question closed before it was even sent
(superseded while it waited in the outbox) loses its buttons at once, and a
question still open keeps them.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.types import Address, Choice, Outgoing, Reply
from bot.store import outbox
from bot.store.db import to_db
from bot.store.live_questions import LiveQuestion
from bot.store.models import OutboxMessage, Person
from tests.harness import Harness


async def _queued_question(h: Harness, *, still_open: bool) -> tuple[int, int]:
    """An outbox row carrying a question whose live row is open or closed."""
    address, qid = await _live_question(h, still_open=still_open, topic="x")
    async with h.core.db.transaction() as s:
        pid = await s.scalar(select(Person.id))
        reply = Reply("Hur gick det?", choices=(Choice("x:1:a", "Bra"),), question=qid)
        msg_id = await outbox.enqueue(s, address, reply, h.clock.now(), person_id=pid)
    assert msg_id is not None
    return msg_id, qid


async def _sent_and_ref(h: Harness, msg_id: int, qid: int) -> tuple[bool, str | None]:
    async with h.core.db.sessions() as s:
        sent_at = await s.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.id == msg_id))
        ref = await s.scalar(select(LiveQuestion.message_ref).where(LiveQuestion.id == qid))
    return sent_at is not None, ref


async def test_an_open_question_is_marked_sent_with_its_message_id(h: Harness) -> None:
    await h.person("anna").says("/start")
    msg_id, qid = await _queued_question(h, still_open=True)
    before = len(h.transport.sent)
    assert await h.core.delivery.deliver([msg_id]) == 1
    sent = h.transport.sent[before:]
    assert [o.reply.text for o in sent] == ["Hur gick det?"]  # no strip: still open
    assert await _sent_and_ref(h, msg_id, qid) == (True, h.transport.refs[before])


async def test_a_question_closed_before_it_went_out_loses_its_buttons_at_once(
    h: Harness,
) -> None:
    await h.person("anna").says("/start")
    msg_id, qid = await _queued_question(h, still_open=False)
    before = len(h.transport.sent)
    assert await h.core.delivery.deliver([msg_id]) == 1
    sent = h.transport.sent[before:]
    ref = h.transport.refs[before]
    assert ref is not None
    assert [(o.reply.text, o.reply.clears) for o in sent] == [("Hur gick det?", None), ("", ref)]
    assert sent[1].address == Address(h.transport.platform, "dm-anna", None, "dm")
    assert await _sent_and_ref(h, msg_id, qid) == (True, ref)


async def _live_question(h: Harness, *, still_open: bool, topic: str = "y") -> tuple[Address, int]:
    """A live question (open or closed) in anna's private chat, not yet sent."""
    address = Address(h.transport.platform, "dm-anna", None, "dm")
    now = h.clock.now()
    async with h.core.db.transaction() as s:
        pid = await s.scalar(select(Person.id))
        question = LiveQuestion(
            platform=address.platform,
            chat_id=address.chat_id,
            kind="dm",
            person_id=pid,
            topics=f"{topic}:1",
            choice_ids=f"{topic}:1:a",
            fingerprint=("0" if topic == "x" else "1") * 16,
            open=still_open,
            created_at=to_db(now),
            closed_at=None if still_open else to_db(now),
        )
        s.add(question)
        await s.flush()
    return address, question.id


async def test_a_direct_reply_notes_its_message_id_the_same_way(h: Harness) -> None:
    """An adapter's own send (``Core.note_sent``) takes the outbox's step: the
    open question learns its id, nothing is stripped."""
    await h.person("anna").says("/start")
    address, qid = await _live_question(h, still_open=True)
    reply = Reply("Hur gick det?", choices=(Choice("y:1:a", "Bra"),), question=qid)
    before = len(h.transport.sent)
    await h.core.note_sent(Outgoing(address, reply), "4711")
    assert h.transport.sent[before:] == []
    async with h.core.db.sessions() as s:
        ref = await s.scalar(select(LiveQuestion.message_ref).where(LiveQuestion.id == qid))
    assert ref == "4711"


async def test_a_direct_reply_whose_question_closed_meanwhile_loses_its_buttons(
    h: Harness,
) -> None:
    await h.person("anna").says("/start")
    address, qid = await _live_question(h, still_open=False)
    reply = Reply("Hur gick det?", choices=(Choice("y:1:a", "Bra"),), question=qid)
    before = len(h.transport.sent)
    await h.core.note_sent(Outgoing(address, reply), "4712")
    sent = h.transport.sent[before:]
    assert [(o.address, o.reply.text, o.reply.clears) for o in sent] == [(address, "", "4712")]
    # a reply without a question, or without a message id, notes nothing
    await h.core.note_sent(Outgoing(address, Reply("Tack!")), "4713")
    await h.core.note_sent(Outgoing(address, reply), None)
    assert len(h.transport.sent) == before + 1
