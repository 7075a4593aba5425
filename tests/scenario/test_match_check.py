"""The early match check (issue 19, item 3): after the first and the second
meeting that took place, each member is asked privately how the match feels.
A low answer raises a health flag the organisers see, points the member to
/contact and /leave, and is never shown to the partner."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.organiser.reports import build_report
from bot.store.models import FeedbackAnswer, Programme, RiskFlag
from bot.wording import ordinal_word
from tests.harness import Harness
from tests.harness import Person as Someone
from tests.scenario.coaching_steps import Pair, book_monthly, latest_choice, make_pair
from tests.scenario.goal_steps import make_circle

STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: the first Tuesdays at 15:00 the pair meets (see coaching_steps.book_monthly)
DAYS = [date(2026, 12, 1), date(2027, 1, 5), date(2027, 2, 2)]


def at_three(day: date) -> datetime:
    return datetime.combine(day, time(15), STOCKHOLM)


async def meet(pair: Pair, day: date) -> None:
    """The meeting of ``day`` ends, the mentee confirms it took place."""
    h = pair.h
    await h.wait(at_three(day) + timedelta(hours=1, minutes=5) - h.clock.now())
    await pair.mentee.presses(latest_choice(pair.mentee, "mtg:", suffix=":met:yes"))


def asks(who: Someone, since: int = 0) -> list[str]:
    """The match questions ``who`` received (their texts)."""
    return [r.text for r in who.inbox[since:] if any(c.id.startswith("match:") for c in r.choices)]


async def flags(pair: Pair) -> list[RiskFlag]:
    async with pair.h.core.db.sessions() as s:
        rows = await s.scalars(
            select(RiskFlag).where(RiskFlag.group_id == pair.group_id, RiskFlag.reason == "match")
        )
        return list(rows.all())


async def answers(pair: Pair) -> list[tuple[str, str | None, int | None]]:
    async with pair.h.core.db.sessions() as s:
        rows = await s.scalars(
            select(FeedbackAnswer).where(FeedbackAnswer.kind == "match").order_by(FeedbackAnswer.id)
        )
        return [(r.role, r.choice, r.rating) for r in rows]


async def report_risks(pair: Pair) -> list[str]:
    async with pair.h.core.db.sessions() as s:
        programme = await s.get(Programme, pair.programme_id)
        assert programme is not None
        report = await build_report(s, pair.content, programme, pair.h.clock.now())
        return [r.reason for r in report.at_risk]


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_low_answer_after_the_first_meeting_is_private_flagged_and_points_the_way(
    h: Harness, lang: str
) -> None:
    pair = await make_pair(h, mentor_lang=lang, mentee_lang=lang, organiser=True)
    assert pair.organiser is not None
    t = pair.content.t
    await book_monthly(pair, lang)
    mentor_mark, mentee_mark = len(pair.mentor.inbox), len(pair.mentee.inbox)
    await meet(pair, DAYS[0])
    assert asks(pair.mentee, mentee_mark) == []  # not in the same breath as the pulse
    await h.wait(timedelta(hours=3))
    first = ordinal_word(lang, 1)
    assert asks(pair.mentee, mentee_mark) == [t(lang, "match.ask.pair", names="Anna", nth=first)]
    assert asks(pair.mentor, mentor_mark) == [t(lang, "match.ask.pair", names="Bea", nth=first)]
    assert [c.label for c in pair.mentee.last.choices] == [
        t(lang, f"match.buttons.{a}") for a in ("great", "good", "unsure", "wrong")
    ]

    # the mentor is happy; the mentee is not
    reply = await pair.mentor.presses(t(lang, "match.buttons.great"))
    assert [r.text for r in reply] == [t(lang, "match.thanks.great", names="Bea")]
    mentor_before = len(pair.mentor.inbox)
    organiser_before = len(pair.organiser.inbox)
    reply = await pair.mentee.presses(t(lang, "match.buttons.wrong"))
    assert len(reply) == 1
    assert reply[0].text == t(lang, "match.thanks.wrong", names="Anna")
    assert "/contact" in reply[0].text and "/leave" in reply[0].text

    # a risk signal: the flag is open, the report lists it, the organiser is alerted
    (flag,) = await flags(pair)
    assert flag.resolved_at is None and flag.alerted_at is not None
    assert "match" in await report_risks(pair)
    alert = pair.organiser.inbox[organiser_before:]
    assert len(alert) == 1
    assert t("sv", "health.reason.match") in alert[0].text
    assert "Anna & Bea" in alert[0].text
    # ... and the partner hears nothing of it, now or later
    assert pair.mentor.inbox[mentor_before:] == []
    await h.wait(timedelta(days=8))
    private = (t(lang, "match.buttons.wrong"), t(lang, "match.thanks.wrong", names="Anna"))
    for r in pair.mentor.inbox:
        assert not any(p in r.text for p in private)
        assert t(lang, "health.reason.match") not in r.text
    assert await answers(pair) == [("mentor", "great", 4), ("mentee", "wrong", 1)]


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_asked_after_the_first_and_second_meeting_only_and_a_better_answer_clears_the_flag(
    h: Harness, lang: str
) -> None:
    pair = await make_pair(h, mentor_lang=lang, mentee_lang=lang, organiser=True)
    assert pair.organiser is not None
    t = pair.content.t
    await book_monthly(pair, lang)
    await meet(pair, DAYS[0])
    await h.wait(timedelta(hours=3))
    organiser_before = len(pair.organiser.inbox)
    reply = await pair.mentee.presses(t(lang, "match.buttons.unsure"))
    assert reply[0].text == t(lang, "match.thanks.unsure", names="Anna")
    assert "/contact" in reply[0].text and "/leave" in reply[0].text
    (flag,) = await flags(pair)
    assert flag.alerted_at is None  # "not sure yet" is not an alarm at once
    assert pair.organiser.inbox[organiser_before:] == []
    assert "match" in await report_risks(pair)  # but the organisers can see it

    mark = len(pair.mentee.inbox)
    await meet(pair, DAYS[1])
    await h.wait(timedelta(hours=3))
    assert asks(pair.mentee, mark) == [
        t(lang, "match.ask.pair", names="Anna", nth=ordinal_word(lang, 2))
    ]
    reply = await pair.mentee.presses(t(lang, "match.buttons.good"))
    assert reply[0].text == t(lang, "match.thanks.good", names="Anna")
    (flag,) = await flags(pair)
    assert flag.resolved_at is not None
    assert "match" not in await report_risks(pair)

    mark_mentee, mark_mentor = len(pair.mentee.inbox), len(pair.mentor.inbox)
    await meet(pair, DAYS[2])
    await h.wait(timedelta(days=2))
    assert asks(pair.mentee, mark_mentee) == [] and asks(pair.mentor, mark_mentor) == []


async def test_stale_foreign_and_repeated_presses_are_answered_clearly(h: Harness) -> None:
    pair = await make_pair(h)
    other = await make_pair(h, names=("cecilia", "dana"), slug="other")
    t = pair.content.t
    g = pair.group_id
    # before the question was sent, a button for it is stale
    early = await pair.mentee.presses(f"match:{g}:1:good")
    assert [r.text for r in early] == [t("sv", "basics.stale_button")]
    await book_monthly(pair)
    await meet(pair, DAYS[0])
    await h.wait(timedelta(hours=3))
    button = latest_choice(pair.mentee, "match:", suffix=":good")
    # someone from another pair
    foreign = await other.mentee.presses(button)
    assert [r.text for r in foreign] == [t("sv", "basics.not_yours")]
    # the second question is not out yet; made-up answers and rounds
    for forged in (f"match:{g}:2:good", f"match:{g}:1:splendid", f"match:{g}:3:good"):
        replies = await pair.mentee.presses(forged)
        assert [r.text for r in replies] == [t("sv", "basics.stale_button")], forged
    # the answered question loses its buttons (issue 20); a client that missed
    # that edit may still press another of them
    wrong = latest_choice(pair.mentee, "match:", suffix=":wrong")
    await pair.mentee.presses(button)
    with pytest.raises(AssertionError, match="no button"):
        latest_choice(pair.mentee, "match:", suffix=":wrong")
    again = await pair.mentee.presses(wrong)
    assert [r.text for r in again] == [t("sv", "match.already")]
    assert await answers(pair) == [("mentee", "good", 3)]
    assert await flags(pair) == []


async def test_a_circle_member_is_asked_about_the_circle_privately(h: Harness) -> None:
    """Each member of a circle gets the question in their own chat, in circle words."""
    circle = await make_circle(h)
    await circle.book_and_meet()
    await h.wait(timedelta(hours=3))
    t = h.core.content.t
    for who, others in (
        (circle.hanna, "Greta och Ines"),
        (circle.ines, "Greta och Hanna"),
        (circle.greta, "Hanna och Ines"),
    ):
        assert asks(who) == [t("sv", "match.ask.circle", names=others, nth="första")]
    await circle.hanna.presses(t("sv", "match.buttons.wrong"))
    async with h.core.db.sessions() as s:
        flag = await s.scalar(select(RiskFlag).where(RiskFlag.reason == "match"))
        assert flag is not None and flag.group_id == circle.group_id
    for who in (circle.ines, circle.greta):
        assert not any(
            t("sv", "match.thanks.wrong", names="Greta och Ines") in x for x in who.texts()
        )
