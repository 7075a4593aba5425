"""Surveys never interrupt an open meeting question (issue 23).

The closing evaluation falls due half an hour after a "did you meet?" went
out.  It waits: it comes right after the answer (and counts that meeting),
or, when nobody answers, once the question has expired – never on top of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.store.db import from_db
from tests.attention_steps import local
from tests.feedback_steps import add_pair, at, book, meeting_cycle, met, programme, walk_agreement
from tests.harness import Harness

HELD = {"sv": "Ni har haft {n} möten", "en": "You held {n} meetings"}
FINAL_DUE = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)  # a week before the end, 09:00 UTC


async def _pair_with_late_meeting(h: Harness, lang: str):  # type: ignore[no-untyped-def]
    world = await programme(h, end=date(2027, 1, 19), lang=lang)
    pair = await add_pair(world, "anna", "bea", lang)
    await walk_agreement(pair, frequency_days=14)
    await meeting_cycle(pair, "2026-12-15 15:00")
    await at(h, local("2027-01-05", 12))  # after the midpoint evaluation
    meeting = await book(pair, "2027-01-12 08:30")  # its question goes out 08:30 UTC
    await at(h, local("2027-01-12", 9, 45))
    return world, pair, meeting


def _finals(world, who, lang: str):  # type: ignore[no-untyped-def]
    return [s for s in world.to(who) if s.reply.text.startswith("🎉")]


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_the_closing_survey_waits_for_the_answer(h: Harness, lang: str) -> None:
    world, pair, meeting = await _pair_with_late_meeting(h, lang)
    asked = [s for s in world.to(pair.mentee) if any(":met:" in c.id for c in s.reply.choices)]
    assert asked[-1].at == from_db(meeting.starts_at) + timedelta(minutes=60)
    await at(h, FINAL_DUE + timedelta(hours=2))
    assert _finals(world, pair.mentee, lang) == []  # due, but the question is open
    assert any(":met:" in c.id for c in pair.mentee.last.choices)  # still the newest

    await met(pair.mentee, meeting, "yes")
    answered = h.clock.now()
    await h.wait(timedelta(minutes=1))
    for who in pair.people:
        [final] = _finals(world, who, lang)
        assert answered <= final.at <= answered + timedelta(minutes=1)
        assert HELD[lang].format(n=2) in final.reply.text  # the answered meeting counts


async def test_the_closing_survey_comes_when_the_question_expires(h: Harness) -> None:
    world, pair, meeting = await _pair_with_late_meeting(h, "sv")
    await at(h, FINAL_DUE + timedelta(days=3))
    asked_at = from_db(meeting.starts_at) + timedelta(minutes=60)
    for who in pair.people:
        [final] = _finals(world, who, "sv")
        assert final.at == asked_at + timedelta(hours=48)
        assert "Ni har träffats en gång" in final.reply.text  # one meeting, said as such
