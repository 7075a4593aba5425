"""Choosing coaching questions, tips and prompts (bot.flows.coaching_choice), on the real bank."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import DEFAULT_CONTENT_DIR
from bot.content import PURPOSES, Content, load_content
from bot.flows.coaching_choice import (
    Shown,
    choose_questions,
    choose_tip,
    fits,
    known_needs,
    next_in_cycle,
    phase_of,
)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(DEFAULT_CONTENT_DIR)


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        (date(2026, 11, 20), "start"),  # before the programme: still the start
        (date(2026, 12, 1), "start"),
        (date(2027, 1, 30), "start"),
        (date(2027, 1, 31), "middle"),
        (date(2027, 4, 1), "middle"),
        (date(2027, 4, 2), "end"),
        (date(2027, 6, 1), "end"),
        (date(2027, 8, 1), "end"),  # after it: still the end
    ],
)
def test_phase_is_the_third_of_the_programme(day: date, phase: str) -> None:
    assert phase_of(day, date(2026, 12, 1), date(2027, 6, 1)) == phase


def test_no_needs_known_means_all_the_usual_ones() -> None:
    assert known_needs([]) == {"career", "emotional", "practical", "profile"}
    assert known_needs(["career", "bogus"]) == {"career"}


def test_questions_never_repeat_until_the_pool_runs_dry(content: Content) -> None:
    questions = content.coaching.questions
    needs = {"emotional"}
    pool = [q for q in questions if fits(q, needs, "middle")]
    shown: list[Shown] = []
    while True:
        found = choose_questions(questions, needs=needs, phase="middle", shown=shown, seed="7")
        if not found:
            break
        assert found[0].id not in {s.item_id for s in shown}
        assert fits(found[0], needs, "middle")
        shown.append(Shown(found[0].id, "more"))
    assert sorted(s.item_id for s in shown) == sorted(q.id for q in pool)


def test_a_useful_purpose_is_preferred_and_a_replaced_one_avoided(content: Content) -> None:
    questions = content.coaching.questions
    by_id = {q.id: q for q in questions}
    for liked in ("options", "action", "reflection"):
        disliked = "exploring"
        history = [
            Shown(next(q.id for q in questions if q.purpose == liked), "useful"),
            Shown(next(q.id for q in questions if q.purpose == disliked), "more"),
        ]
        for seed in ("1", "2", "3"):
            found = choose_questions(
                questions, needs={"career"}, phase="middle", shown=history, seed=seed
            )
            assert by_id[found[0].id].purpose == liked, (liked, seed)
    # Without any history the first meeting opens.
    first = choose_questions(
        questions, needs={"career"}, phase="start", shown=[], seed="1", first_meeting=True
    )
    assert first[0].purpose == "opening"


def test_later_is_neutral(content: Content) -> None:
    questions = content.coaching.questions
    a = choose_questions(questions, needs={"profile"}, phase="end", shown=[], seed="5")
    other = next(q for q in questions if q.id != a[0].id and q.purpose == a[0].purpose)
    b = choose_questions(
        questions, needs={"profile"}, phase="end", shown=[Shown(other.id, "later")], seed="5"
    )
    assert b[0].id == a[0].id


def test_two_questions_have_different_purposes(content: Content) -> None:
    found = choose_questions(
        content.coaching.questions, needs={"practical"}, phase="start", shown=[], seed="9", count=2
    )
    assert len(found) == 2 and found[0].purpose != found[1].purpose
    assert {q.purpose for q in found} <= set(PURPOSES)


def test_questions_spread_over_the_mentees_needs(content: Content) -> None:
    questions = content.coaching.questions
    shown: list[Shown] = []
    needs_seen = []
    for _ in range(4):
        q = choose_questions(
            questions, needs={"career", "emotional"}, phase="start", shown=shown, seed="3"
        )[0]
        shown.append(Shown(q.id, None))
        needs_seen += [n for n in q.needs if n in ("career", "emotional")]
    assert set(needs_seen) == {"career", "emotional"}


def test_tips_fit_the_phase_and_the_pair_and_never_repeat(content: Content) -> None:
    tips = content.coaching.tips
    shown: list[str] = []
    while (
        tip := choose_tip(tips, phase="start", shown=shown, online=False, circle=False, seed="1")
    ) is not None:
        assert "start" in tip.phase and tip.quality not in ("online", "group")
        shown.append(tip.id)
    assert (
        len(shown)
        == len(set(shown))
        == sum("start" in t.phase and t.quality not in ("online", "group") for t in tips)
    )
    # Qualities take turns: the first few tips are all of different qualities.
    qualities = [next(t.quality for t in tips if t.id == i) for i in shown[:5]]
    assert len(set(qualities)) == 5
    online = choose_tip(tips, phase="start", shown=shown, online=True, circle=False, seed="1")
    assert online is not None and online.quality == "online"


def test_prompts_cycle_fresh_ones_first(content: Content) -> None:
    bank = content.prompts.mentee_prep
    assert next_in_cycle(bank, []) is bank[0]
    assert next_in_cycle(bank, [bank[0].id, bank[2].id]) is bank[1]
    everything = [p.id for p in bank]
    assert next_in_cycle(bank, everything) is bank[0]  # all used: the oldest again
    assert next_in_cycle(bank, [*everything[1:], everything[0]]) is bank[1]
    assert next_in_cycle([], []) is None
