"""Goal follow-up (issue 19, item 1): the goals the mentee wrote in the agreement
come back a little before the programme's midpoint and two weeks before its
end ("how far have you come?"), and before every third meeting to the mentor
with a coaching question.  Circles: each mentee their own goals, privately."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core.context import Work
from bot.store.db import from_db, to_db
from bot.store.models import FeedbackAnswer, Group, Job, Member, Programme
from bot.wording import ordinal_word
from tests.agreement_steps import MENTEE, MENTOR, Pairing
from tests.conftest import START, database_url
from tests.console_harness import Console
from tests.harness import Harness
from tests.scenario.coaching_steps import book_monthly, make_pair
from tests.scenario.goal_steps import goal_answers, make_circle, set_goals
from tests.scenario.test_erasure import GOAL, NAME, SCRIPT, leftovers

STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: the Pairing programme runs 1 December 2026 - 30 November 2027
MIDPOINT_ASK = datetime(2027, 5, 30, 15, 0, tzinfo=UTC)
END_ASK = datetime(2027, 11, 16, 15, 0, tzinfo=UTC)


@pytest.fixture
async def pairing(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Pairing]:
    p = await Pairing.open(tmp_path, request.param)
    yield p
    await p.close()


async def wait_until(p: Pairing, when: datetime) -> None:
    hours = math.ceil((when - p.now()).total_seconds() / 3600)
    await p.wait(f"{hours}h")


def with_text(replies: list, text: str) -> list[str]:  # type: ignore[type-arg]
    return [r.text for r in replies if text in r.text]


@pytest.mark.parametrize("pairing", ["sv", "en"], indirect=True)
async def test_the_agreed_goals_come_back_at_the_midpoint_and_the_end(pairing: Pairing) -> None:
    p = pairing
    await p.create()
    await p.everything_agreed()
    assert (await p.agreement()).status == "complete"
    await p.edit_programme(settings={"quiet_after_prompts": 1000})
    first, second = p.goals()
    bea, anna = p.mark(MENTEE), p.mark(MENTOR)

    await wait_until(p, MIDPOINT_ASK + timedelta(minutes=30))
    intro = p.t(
        "goals.ask.mid",
        programme="STEM Up",
        goals=f"• {first}\n• {second}",
        mentors="Anna",
    )
    question = p.t("goals.question", n=1, total=2, goal=first)
    assert with_text(p.since(MENTEE, bea), intro) == [f"{intro}\n\n{question}"]
    heads_up = with_text(p.since(MENTOR, anna), p.t("goals.mentor_heads_up.mid").split("{")[0])
    assert len(heads_up) == 1 and first in heads_up[0] and second in heads_up[0]
    async with p.core.db.sessions() as s:
        ran = await s.scalars(select(Job.due_at).where(Job.kind == "goal_check"))
        assert from_db(sorted(ran)[0]) == MIDPOINT_ASK

    anna = p.mark(MENTOR)
    await p.press(MENTEE, p.t("goals.buttons.halfway"))
    assert p.last(MENTEE).text == p.t("goals.question", n=2, total=2, goal=second)
    await p.press(MENTEE, p.t("goals.buttons.little"))
    when = p.t("goals.when.mid")
    lines = (
        p.t("goals.line_with_level", goal=first, when=when, level=p.t("goals.level.halfway"))
        + "\n"
        + p.t("goals.line_with_level", goal=second, when=when, level=p.t("goals.level.little"))
    )
    assert p.last(MENTEE).text == p.t("goals.thanks", goals=lines, mentors="Anna")
    told = p.since(MENTOR, anna)
    assert [r.text for r in told] == [p.t("goals.told_mentor", name="Bea", when=when, goals=lines)]
    # the answers stay with the agreement: both see them under /agreement
    for who in (MENTEE, MENTOR):
        await p.act(who, "/agreement")
        shown = p.last(who).text
        assert p.t("goals.progress_head", name="Bea") + "\n" + lines in shown, shown

    bea = p.mark(MENTEE)
    await wait_until(p, END_ASK + timedelta(minutes=30))
    got = with_text(p.since(MENTEE, bea), p.t("goals.ask.end").split("{")[0].strip() or "🎯")
    assert len(got) == 1 and first in got[0] and second in got[0]
    await p.press(MENTEE, p.t("goals.buttons.done"))
    await p.press(MENTEE, p.t("goals.buttons.mostly"))
    end = p.t("goals.when.end")
    assert p.t("goals.line_with_level", goal=first, when=end, level=p.t("goals.level.done")) in (
        p.last(MENTEE).text
    )
    await p.act(MENTOR, "/agreement")
    assert p.t("goals.level.mostly") in p.last(MENTOR).text
    async with p.core.db.sessions() as s:
        bea_seat = await s.scalar(select(Member.id).where(Member.name == "Bea"))
    assert await goal_answers_of(p) == [
        (bea_seat, "mid", "goal0", "halfway"),
        (bea_seat, "mid", "goal1", "little"),
        (bea_seat, "end", "goal0", "done"),
        (bea_seat, "end", "goal1", "mostly"),
    ]
    # a button pressed twice is answered as answered, and changes nothing
    replies = await p.choose(MENTEE, p.inbox(MENTEE)[-2].choices[0].id)
    assert [r.text for r in replies] == [p.t("goals.already")]
    assert len(await goal_answers_of(p)) == 4


async def goal_answers_of(p: Pairing) -> list[tuple[int | None, str, str, str | None]]:
    async with p.core.db.sessions() as s:
        rows = await s.scalars(
            select(FeedbackAnswer).where(FeedbackAnswer.kind == "goals").order_by(FeedbackAnswer.id)
        )
        return [(r.member_id, r.round, r.question_id, r.choice) for r in rows]


#: first Tuesdays at 15:00 from 1 December 2026 (see coaching_steps.book_monthly)
MEETINGS = [
    date(2026, 12, 1),
    date(2027, 1, 5),
    date(2027, 2, 2),
    date(2027, 3, 2),
    date(2027, 4, 6),
    date(2027, 5, 4),
]
GOALS = {
    "sv": ["Disputera i tid", "Våga tala på en konferens"],
    "en": ["Defend my thesis on time", "Dare to speak at a conference"],
}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_the_mentor_sees_the_goals_before_every_third_meeting(h: Harness, lang: str) -> None:
    pair = await make_pair(h, mentor_lang=lang, mentee_lang=lang, end=date(2027, 6, 1))
    await set_goals(h, pair.group_id, {pair.mentee_seat: GOALS[lang]})
    await book_monthly(pair, lang)
    await h.wait(datetime.combine(MEETINGS[-1], time(12), STOCKHOLM) - h.clock.now())
    t = pair.content.t
    head = t(lang, "goals.nudge").split("{")[0]
    looks = [s for s in pair.delivered(pair.mentor) if head in s.reply.text]
    assert [s.at for s in looks] == [
        datetime.combine(MEETINGS[2] - timedelta(days=1), time(15), STOCKHOLM),
        datetime.combine(MEETINGS[5] - timedelta(days=1), time(15), STOCKHOLM),
    ]
    for stamped, nth, q in zip(looks, (3, 6), ("q1", "q2"), strict=True):
        text = stamped.reply.text
        assert (
            t(
                lang, "goals.nudge", nth=ordinal_word(lang, nth), names="Bea", goals="", question=""
            ).split("\n")[0]
            in text
        )
        assert all(goal in text for goal in GOALS[lang])
        assert t(lang, f"goals.coach.{q}") in text
        # it arrives together with the day-before coaching nudge, as one message
        assert any(c.id.startswith("coach:useful:") for c in stamped.reply.choices)
    # the mentee never gets the mentor's look at the goals
    assert not any(head in r.text for r in pair.mentee.inbox)


async def test_each_mentee_in_a_circle_is_asked_about_their_own_goals_privately(
    h: Harness,
) -> None:
    circle = await make_circle(h)
    t = h.core.content.t
    hanna_goals, ines_goals = ["Söka en postdoc"], ["Leda ett eget projekt", "Skriva en bok"]
    await set_goals(
        h, circle.group_id, {circle.seats["hanna"]: hanna_goals, circle.seats["ines"]: ines_goals}
    )
    # the circle runs 1 December 2026 - 1 June 2027: asked 28 February, 15:00 UTC
    await h.wait(datetime(2027, 2, 28, 15, 30, tzinfo=UTC) - h.clock.now())
    hanna_ask = [x for x in circle.hanna.texts() if "🎯" in x]
    ines_ask = [x for x in circle.ines.texts() if "🎯" in x]
    assert len(hanna_ask) == 1 and "Söka en postdoc" in hanna_ask[0]
    assert not any(g in hanna_ask[0] for g in ines_goals)
    assert len(ines_ask) == 1 and all(g in ines_ask[0] for g in ines_goals)
    assert "Söka en postdoc" not in ines_ask[0]
    (greta,) = [x for x in circle.greta.texts() if "🎯" in x]
    assert all(g in greta for g in hanna_goals + ines_goals)

    ines_before = len(circle.ines.inbox)
    await circle.hanna.presses(t("sv", "goals.buttons.mostly"))
    assert circle.hanna.last.text.startswith(t("sv", "goals.thanks").split("\n")[0])
    told = circle.greta.last.text
    assert told.startswith(t("sv", "goals.told_mentor").split("{")[0] or "Hanna")
    assert "Hanna" in told and t("sv", "goals.level.mostly") in told
    assert circle.ines.inbox[ines_before:] == []  # co-mentees hear nothing of it
    # Ines answers too; in /agreement each mentee sees only their own progress
    await circle.ines.presses(t("sv", "goals.buttons.done"))
    await circle.ines.presses(t("sv", "goals.buttons.little"))
    await circle.hanna.says("/agreement")
    shown = circle.hanna.last.text
    assert t("sv", "goals.progress_head", name="Hanna") in shown
    assert t("sv", "goals.progress_head", name="Ines") not in shown
    await circle.greta.says("/agreement")
    shown = circle.greta.last.text
    for name in ("Hanna", "Ines"):
        assert t("sv", "goals.progress_head", name=name) in shown
    answers = await goal_answers(h)
    assert [(seat, q, level) for seat, _, q, level in answers] == [
        (circle.seats["hanna"], "goal0", "mostly"),
        (circle.seats["ines"], "goal0", "done"),
        (circle.seats["ines"], "goal1", "little"),
    ]


async def test_stale_foreign_and_mentor_presses_are_refused(h: Harness) -> None:
    circle = await make_circle(h)
    t = h.core.content.t
    await set_goals(h, circle.group_id, {circle.seats["hanna"]: ["Söka en postdoc"]})
    g = circle.group_id
    # nothing was asked yet: the button is stale
    early = await circle.hanna.presses(f"goal:{g}:mid:0:done")
    assert [r.text for r in early] == [t("sv", "basics.stale_button")]
    await h.wait(datetime(2027, 2, 28, 15, 30, tzinfo=UTC) - h.clock.now())
    for forged in (f"goal:{g}:end:0:done", f"goal:{g}:mid:1:done", f"goal:{g}:mid:0:great"):
        replies = await circle.hanna.presses(forged)
        assert [r.text for r in replies] == [t("sv", "basics.stale_button")], forged
    # the mentor does not answer for the mentee
    replies = await circle.greta.presses(f"goal:{g}:mid:0:done")
    assert [r.text for r in replies] == [t("sv", "basics.not_yours")]
    # Ines wrote no goals: she was not asked, and has nothing to answer
    assert not any("🎯" in x for x in circle.ines.texts())
    replies = await circle.ines.presses(f"goal:{g}:mid:0:done")
    assert [r.text for r in replies] == [t("sv", "basics.stale_button")]
    # someone from outside the circle
    outsider = await make_pair(h, names=("olle", "pia"), slug="other")
    replies = await outsider.mentee.presses(f"goal:{g}:mid:0:done")
    assert [r.text for r in replies] == [t("sv", "basics.not_yours")]
    assert await goal_answers(h) == []


async def test_a_moved_end_date_moves_the_follow_ups(h: Harness) -> None:
    pair = await make_pair(h, end=date(2027, 6, 1))
    await set_goals(h, pair.group_id, {pair.mentee_seat: ["Disputera i tid"]})
    async with h.core.db.transaction() as s:
        programme = await s.get(Programme, pair.programme_id)
        assert programme is not None
        programme.end_date = date(2027, 8, 1)
        work = Work(s, h.core.content, h.core.settings, h.clock.now(), flows=h.core.flows)
        for hook in h.core.flows.programme_dates:
            await hook(work, programme)
    jobs = sorted(j.due_at for j in await pending(h, pair.group_id))
    # midpoint of 1 December - 1 August is 1 April; minus two days; end minus 14 days
    assert [from_db(d) for d in jobs] == [
        datetime(2027, 3, 30, 15, tzinfo=UTC),
        datetime(2027, 7, 18, 15, tzinfo=UTC),
    ]


async def pending(h: Harness, group_id: int) -> list[Job]:
    async with h.core.db.sessions() as s:
        rows = await s.scalars(
            select(Job).where(
                Job.group_id == group_id, Job.kind == "goal_check", Job.done_at.is_(None)
            )
        )
        return list(rows.all())


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    url = database_url(tmp_path)
    if not url.startswith("sqlite"):
        pytest.skip("scans the bytes of the SQLite file")
    c = await Console.open(url, START)
    yield c
    await c.close()


async def test_forget_scrubs_the_goal_and_match_answers(console: Console, tmp_path: Path) -> None:
    """A mentee answers the match check and the goal follow-up, then /forget: the
    goal is nowhere in the file, and the answers left belong to nobody."""
    await console.run(SCRIPT)
    async with console.core.db.transaction() as s:
        programme = await s.scalar(select(Programme))
        assert programme is not None
        programme.settings = {"quiet_after_prompts": 1000}
    who = "@" + NAME.lower()
    # the first meeting (Tuesday 1 December, 15:00), confirmed; the match check follows
    await console.run(f"wait 6d\nwait 7h\n{who} [Ja]\nwait 4h\n{who} [Inte rätt]")
    # the midpoint follow-up (28 February 2027), answered
    out = await console.run(f"wait 90d\n{who} [Halvvägs]")
    told = "\n".join(out).split("→ anna: Zelmira")[-1]
    assert GOAL in told, "the mentor was told"
    async with console.core.db.sessions() as s:
        kinds = sorted(
            r.kind
            for r in await s.scalars(
                select(FeedbackAnswer).where(FeedbackAnswer.kind.in_(("goals", "match")))
            )
        )
        assert kinds == ["goals", "match"]
    assert leftovers(tmp_path / "t.db", [GOAL]) != []  # the scan can fail

    await console.run(f"{who} /forget\n{who} [Ja, radera]")
    assert leftovers(tmp_path / "t.db", [NAME, GOAL]) == []
    async with console.core.db.sessions() as s:
        rows = list(
            await s.scalars(
                select(FeedbackAnswer).where(FeedbackAnswer.kind.in_(("goals", "match")))
            )
        )
        for row in rows:
            seat = await s.get(Member, row.member_id) if row.member_id else None
            assert seat is None or (seat.person_id is None and seat.name == "–")
            assert row.text is None


async def test_a_pause_over_the_midpoint_holds_the_goals_until_it_ends(h: Harness) -> None:
    pair = await make_pair(h, end=date(2027, 6, 1))
    await set_goals(h, pair.group_id, {pair.mentee_seat: ["Disputera i tid"]})
    async with h.core.db.transaction() as s:  # what /pause leaves behind
        group = await s.get(Group, pair.group_id)
        assert group is not None
        group.status, group.paused_until = "paused", to_db(datetime(2027, 3, 10, 8, tzinfo=UTC))
    await h.wait(datetime(2027, 3, 9, 12, tzinfo=UTC) - h.clock.now())
    assert not any("Disputera i tid" in x for x in pair.mentee.texts())
    await h.wait(datetime(2027, 3, 10, 15, tzinfo=UTC) - h.clock.now())
    asked = [s for s in pair.delivered(pair.mentee) if "Disputera i tid" in s.reply.text]
    # six hours after the pause, apart from the surveys that waited for its end
    assert [s.at for s in asked] == [datetime(2027, 3, 10, 14, tzinfo=UTC)]
    assert [c.id.split(":")[-1] for c in asked[0].reply.choices] == [
        "little",
        "halfway",
        "mostly",
        "done",
    ]
