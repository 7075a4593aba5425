"""A question of a series lapses when the next one of its series comes (issue 21).

A mentor's coaching question before each meeting and the reflection prompt
after it are asked again and again; each names its series
(``Reply.series``), so the newer one supersedes the older: the old message
loses its buttons, its ``live_questions`` row closes and the retention sweep
deletes it a week later, where before it stayed open for good.  A press on
the old button (a chat that kept it, a tap racing the edit) is answered as it
was before the change: by the coaching flow, from the coaching log, in the
mentor's language.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.store.live_questions import LiveQuestion
from bot.store.retention import QUESTION_KEEP
from tests.harness import Harness
from tests.scenario.coaching_steps import Pair, book_monthly, latest_choice, make_pair
from tests.scenario.test_coaching import MEETING_DAYS, at_three, until


async def _questions(pair: Pair, prefix: str) -> list[LiveQuestion]:
    """The mentor's question rows whose buttons start with ``prefix``, oldest first."""
    pid = await pair.person_id(pair.mentor)
    async with pair.h.core.db.sessions() as s:
        rows = await s.scalars(
            select(LiveQuestion).where(LiveQuestion.person_id == pid).order_by(LiveQuestion.id)
        )
        return [q for q in rows.all() if q.choice_ids.startswith(prefix)]


def _live(pair: Pair, prefix: str) -> list[str]:
    """Buttons still live in the mentor's chat (edits applied, as a chat app shows them)."""
    return [c.id for r in pair.mentor.inbox for c in r.choices if c.id.startswith(prefix)]


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_the_next_coaching_question_closes_the_last_and_its_old_button_still_answers(
    h: Harness, lang: str
) -> None:
    pair = await make_pair(h, mentor_lang=lang)
    await book_monthly(pair)
    await until(h, at_three(MEETING_DAYS[0]) - timedelta(hours=23))
    old_useful = latest_choice(pair.mentor, "coach:useful:")
    old_log = int(old_useful.split(":")[2])
    [first] = await _questions(pair, "coach:useful:")
    assert first.open and f"~coach-question:{pair.group_id}" in first.topics.split(" ")

    await until(h, at_three(MEETING_DAYS[1]) - timedelta(hours=23))
    rows = await _questions(pair, "coach:useful:")
    assert [(q.id, q.open) for q in rows] == [(first.id, False), (rows[-1].id, True)]
    # in the chat only the newest question keeps its buttons
    assert _live(pair, "coach:useful:") == [latest_choice(pair.mentor, "coach:useful:")]
    assert old_useful not in _live(pair, "coach:useful:")

    # a week after it closed the retention sweep deletes the old row
    await h.wait(QUESTION_KEEP + timedelta(days=1))
    assert first.id not in {q.id for q in await _questions(pair, "coach:")}

    # the old button still gets the flow's answer, in the mentor's language,
    # and her verdict is kept for the question it was about
    replies = await pair.mentor.presses(old_useful)
    assert [r.text for r in replies] == [pair.content.t(lang, "coaching.useful")]
    verdicts = {r.id: r.verdict for r in await pair.coaching_log(pair.mentor, "question")}
    assert verdicts[old_log] == "useful"
    # ... and the newest question stays open
    assert [q.open for q in await _questions(pair, "coach:useful:")][-1:] == [True]


async def test_a_lapsed_reflection_prompt_still_opens_the_journal(h: Harness) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    for day in MEETING_DAYS[:2]:
        await until(h, at_three(day) + timedelta(hours=2))
        await pair.mentee.presses(latest_choice(pair.mentee, "mtg:", suffix=":met:yes"))
        await h.wait(timedelta(hours=2))
        if day == MEETING_DAYS[0]:
            old_write = latest_choice(pair.mentor, "coach:write:")
    rows = await _questions(pair, "coach:write:")
    assert [q.open for q in rows] == [False, True]
    assert f"~coach-reflection:{pair.group_id}" in rows[0].topics.split(" ")
    assert _live(pair, "coach:write:") == [latest_choice(pair.mentor, "coach:write:")]
    assert old_write not in _live(pair, "coach:write:")
    # its button answers as the flow always did: the journal opens
    replies = await pair.mentor.presses(old_write)
    assert [r.text for r in replies] == [pair.content.t("sv", "coaching.reflection.ask")]
    saved = await pair.mentor.says("Det var ett bra möte.")
    assert [r.text for r in saved] == [pair.content.t("sv", "coaching.reflection.saved")]
    assert [n.text for n in await pair.notes(pair.mentor)] == ["Det var ett bra möte."]
