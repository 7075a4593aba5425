"""One message where there are two (issue 23).

Messages the scheduler sends one person at the same moment leave as one
digest that keeps every button: the mentor's 24-hour reminder and coaching
question arrive together, and pressing a button of either still works.  The
digest is built in the delivery layer, so it holds for any two jobs: a test
registers two of its own.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from bot.core.context import Work
from bot.core.types import Choice, Reply
from bot.store.jobs import schedule
from bot.store.models import Job
from tests.attention_steps import STHLM, hold_latest, local
from tests.feedback_steps import add_pair, at, book, programme, walk_agreement
from tests.harness import Harness

WORDS = {
    "sv": ("Påminnelse: ni ses", "En fråga du kan ställa", "Bra fråga", "Vad roligt"),
    "en": ("Reminder: you're meeting", "A question you could ask", "Good question", "Glad it"),
}
SERIES = {"sv": "varje tisdag kl 15", "en": "every Tuesday at 3pm"}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_reminder_and_coaching_question_arrive_as_one_message(h: Harness, lang: str) -> None:
    reminder, question, useful, thanks = WORDS[lang]
    world = await programme(h, lang=lang)
    pair = await add_pair(world, "anna", "bea", lang)
    await walk_agreement(pair, frequency_days=7)
    await book(pair, SERIES[lang])
    acted = {h.clock.now()}  # moments when someone wrote or pressed (answers come then)
    for day in ("2026-12-01", "2026-12-08", "2026-12-15"):
        await at(h, local(day, 16, 5))
        acted.add(h.clock.now())
        await hold_latest(pair)

    # every day before a meeting, one message to the mentor holds both
    day_before = [
        s for s in world.to(pair.mentor) if _day(s.at) in ("2026-11-30", "2026-12-07", "2026-12-14")
    ]
    assert len(day_before) == 3, [s.reply.text[:60] for s in day_before]
    for s in day_before:
        assert s.reply.text.startswith(reminder)
        assert question in s.reply.text
        assert len(s.reply.choices) == 3  # the coaching question's buttons, all kept
    # the mentee gets just the reminder, as before
    mentee_day = [s.reply.text for s in world.to(pair.mentee) if _day(s.at) == "2026-12-14"]
    assert len(mentee_day) == 1 and mentee_day[0].startswith(reminder)
    # never two scheduled messages to one person at the same moment
    for who in pair.people:
        stamps = Counter(s.at for s in world.to(who) if s.at > min(acted) and s.at not in acted)
        assert len(stamps) >= 9  # reminders, questions, reflections
        assert max(stamps.values()) == 1, [t for t, n in stamps.items() if n > 1]
    # the buttons of the digest still work
    [button] = [c.id for c in day_before[-1].reply.choices if c.label == useful]
    answer = await pair.mentor.presses(button)
    assert answer[-1].text.startswith(thanks)


async def test_any_two_jobs_at_one_moment_make_one_message(h: Harness) -> None:
    """The digest is generic: two job kinds a test registers, each with buttons."""
    world = await programme(h)
    pair = await add_pair(world, "anna", "bea")

    async def first(work: Work, job: Job) -> None:
        await work.tell(
            int(job.person_id or 0),
            Reply("Första", (Choice("x:1", "Ett"), Choice("x:2", "Två"))),
            key=f"t:{job.id}",
        )

    async def second(work: Work, job: Job) -> None:
        await work.tell(
            int(job.person_id or 0), Reply("Andra", (Choice("y:1", "Tre"),)), key=f"t:{job.id}"
        )

    h.core.flows.on_job("test_first", first)
    h.core.flows.on_job("test_second", second)
    when = h.clock.now() + timedelta(hours=2)
    async with h.core.db.transaction() as s:
        person_id = await _person_id(s, "anna")
        for kind in ("test_first", "test_second"):
            await schedule(s, kind, when, person_id=person_id)
        await schedule(s, "test_second", when + timedelta(minutes=30), person_id=person_id)
    before = len(world.to(pair.mentor))
    await h.wait(timedelta(hours=3))
    got = world.to(pair.mentor)[before:]
    assert [s.reply.text for s in got] == ["Första\n\nAndra", "Andra"]
    assert [[c.id for c in s.reply.choices] for s in got] == [["x:1", "x:2", "y:1"], ["y:1"]]
    assert got[0].at == when


def _day(when: datetime) -> str:
    return when.astimezone(STHLM).date().isoformat()


async def _person_id(session, name: str) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.store.models import Identity

    found = await session.scalar(select(Identity.person_id).where(Identity.user_id == name))
    assert found is not None
    return int(found)
