"""Closed questions are deleted a week after they closed; the edits that took
their buttons away are deleted as soon as they are delivered (issue 21: they
were kept a day); a press on an old button still gets the clear "no longer
valid" answer, and the organisers' message measure is the same before and after."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.types import Actor, Address, ChoiceIn
from bot.organiser.message_measure import messages_per_week
from bot.store.db import from_db
from bot.store.live_questions import LiveQuestion
from bot.store.models import OutboxMessage, Programme
from bot.store.retention import OUTBOX_KEEP, QUESTION_KEEP
from bot.store.spent import SENT
from tests.console_harness import Console
from tests.pair_steps import AGREE_AND_BOOK, SETUP


async def test_closed_questions_go_after_a_week_and_their_buttons_still_answer(
    console: Console,
) -> None:
    await console.run(SETUP + AGREE_AND_BOOK)
    db = console.core.db
    async with db.sessions() as s:
        closed = (
            await s.scalars(
                select(LiveQuestion).where(
                    LiveQuestion.open.is_(False),
                    LiveQuestion.person_id.is_not(None),
                    LiveQuestion.topics.startswith("rhy:"),
                )
            )
        ).all()
        # the edits that took answered questions' buttons away went out (the
        # console shows those messages without buttons) and left no row behind
        strips = await s.scalar(
            select(func.count()).where(
                OutboxMessage.idem_key.startswith("strip:"), OutboxMessage.sent_at.is_not(None)
            )
        )
        shown = {m.ref: m for m in console.session.transport.shown}
        stripped = [q for q in closed if q.message_ref in shown and not shown[q.message_ref].live]
        # every message to someone (what the measure counts, and every key
        # that is not random) must stay, whole or in the slim table
        others = set(
            (
                await s.scalars(
                    select(OutboxMessage.idem_key).where(
                        OutboxMessage.idem_key.not_like("strip:%"),
                        OutboxMessage.person_id.is_not(None)
                        | OutboxMessage.idem_key.not_like("u:%"),
                    )
                )
            ).all()
        )
        programme = await s.scalar(select(Programme))
        assert programme is not None
        then = console.core.clock.now()
        measured = await messages_per_week(s, programme, then)
    assert closed and stripped and strips == 0
    old = closed[0]
    assert old.person_id is not None

    await console.run("wait 8d")

    now = console.core.clock.now()
    async with db.sessions() as s:
        rows = (await s.scalars(select(LiveQuestion))).all()
        newest = max(r.id for r in rows)
        assert old.id not in {r.id for r in rows}
        assert all(
            r.open or r.id == newest or from_db(r.closed_at) >= now - QUESTION_KEEP  # type: ignore[arg-type]
            for r in rows
        )
        sent_strips = (
            await s.scalars(
                select(OutboxMessage.sent_at).where(OutboxMessage.idem_key.startswith("strip:"))
            )
        ).all()
        assert all(from_db(at) >= now - OUTBOX_KEEP for at in sent_strips if at is not None)
        assert all(at is None for at in sent_strips)  # none delivered is kept
        # every other message is still there (moved or not): the measure has not changed
        kept = set((await s.scalars(select(OutboxMessage.idem_key))).all())
        kept |= set((await s.scalars(select(SENT.c.idem_key))).all())
        assert others and others <= kept
        assert await s.scalar(select(func.count()).select_from(SENT))  # some did move
        assert await messages_per_week(s, programme, then) == measured

    # the person who answered it presses one of its buttons again
    who = old.chat_id
    actor = Actor("console", who, who.capitalize(), None, who)
    replies = await console.core.handle(
        ChoiceIn(actor, Address("console", old.chat_id, None, "dm"), old.choice_ids.split("\n")[0])
    )
    said = " ".join(o.reply.text for o in replies)
    assert said.startswith("Den knappen gäller inte längre."), said
