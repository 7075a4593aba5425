"""No nagging of people who went quiet (issue 23).

A weekly pair with a recurring series meets twice and then stops answering.
It receives at most two unanswered questions; then the series pauses itself:
no reminders, questions or check-ins, one message that says how to switch
them back on with one tap, and the organiser's alert says the pair is quiet.
One tap (or any answer) resumes, and the next reminder comes as planned.
"""

from __future__ import annotations

import pytest

from bot.store.db import from_db
from tests.attention_steps import (
    after,
    days,
    flags_of,
    hold_latest,
    is_question,
    is_resume,
    local,
    organiser_alerts,
)
from tests.feedback_steps import add_pair, at, book, programme, walk_agreement
from tests.harness import Harness

SERIES = {"sv": "varje tisdag kl 15", "en": "every Tuesday at 3pm"}
QUIET_WORDS = {"sv": "har inte svarat", "en": "haven't answered"}
RESUME_LABEL = {"sv": "Slå på", "en": "Switch"}
REMINDER = {"sv": "Påminnelse", "en": "Reminder"}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_quiet_pair_gets_two_questions_then_one_tap_resumes(h: Harness, lang: str) -> None:
    world = await programme(h, lang=lang)
    pair = await add_pair(world, "anna", "bea", lang)
    await walk_agreement(pair, frequency_days=7)
    series = await book(pair, SERIES[lang])
    assert from_db(series.starts_at) == local("2026-12-01")
    for day in ("2026-12-01", "2026-12-08"):
        await at(h, local(day, 16, 5))
        await hold_latest(pair)
    quiet_since = h.clock.now()

    await at(h, local("2027-01-31", 12))

    for who in pair.people:
        got = after(world, who, quiet_since)
        questions = [s for s in got if is_question(s.reply)]
        assert len(questions) == 2, [s.reply.text for s in questions]
        assert [s.at.date().isoformat() for s in questions] == ["2026-12-15", "2026-12-22"]
        notices = [s for s in got if is_resume(s.reply)]
        assert len(notices) == 1  # told once
        # nothing at all after the notice: no reminders, questions or check-ins
        assert got[-1] is notices[0], [s.reply.text for s in got[got.index(notices[0]) :]]
        assert notices[0].at < local("2026-12-29")  # before the next meeting's reminders
    [flag] = await flags_of(pair, "no_meeting")
    assert flag.alerted_at is not None
    [alert] = organiser_alerts(world, "Anna & Bea")
    assert QUIET_WORDS[lang] in alert.reply.text
    assert alert.at <= local("2026-12-08", 15) + days(2.5 * 7)

    # one tap: the series runs again, reminders come as planned
    replies = await pair.mentee.presses(RESUME_LABEL[lang])
    assert replies and not is_resume(replies[-1])
    resumed_at = h.clock.now()
    await at(h, local("2027-02-02", 16, 30))
    for who in pair.people:
        got = after(world, who, resumed_at)
        assert any(s.reply.text.startswith(REMINDER[lang]) for s in got), [
            s.reply.text for s in got
        ]
        assert sum(1 for s in got if is_question(s.reply)) == 1  # the next "did you meet?"


async def test_any_answer_ends_the_quiet_spell(h: Harness) -> None:
    """Writing anything counts: after a word from the mentor the questions come again."""
    world = await programme(h, settings={"quiet_after_prompts": 2})
    pair = await add_pair(world, "anna", "bea")
    await walk_agreement(pair, frequency_days=7)
    await book(pair, SERIES["sv"])
    await at(h, local("2026-12-01", 16, 5))
    await hold_latest(pair)
    await at(h, local("2026-12-19", 12))  # two "did you meet?" unanswered, then paused
    notices = [s for s in world.to(pair.mentor) if is_resume(s.reply)]
    assert len(notices) == 1
    await pair.mentor.says("/next")
    spoke = h.clock.now()
    await at(h, local("2026-12-22", 16, 30))
    got = after(world, pair.mentor, spoke)
    assert any(s.reply.text.startswith("Påminnelse") for s in got)
    assert any(is_question(s.reply) for s in got)
