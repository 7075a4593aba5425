"""Coaching nudges for mentors and the reflection journal (issue 7), over the real core."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.content import Question
from bot.store.db import from_db
from tests.harness import Harness
from tests.scenario.coaching_steps import (
    Pair,
    book_monthly,
    latest_choice,
    make_pair,
    meeting_of,
    nudges,
    questions_in,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: first Tuesdays at 15:00 in a programme running 1 December 2026 - 1 June 2027
MEETING_DAYS = [
    date(2026, 12, 1),
    date(2027, 1, 5),
    date(2027, 2, 2),
    date(2027, 3, 2),
    date(2027, 4, 6),
    date(2027, 5, 4),
]
PHASES = ["start", "start", "middle", "middle", "end", "end"]


def at_three(day: date) -> datetime:
    return datetime.combine(day, time(15), STOCKHOLM)


async def until(h: Harness, when: datetime) -> None:
    await h.wait(when - h.clock.now())


def fits(q: Question, needs: set[str], phase: str) -> bool:
    return phase in q.phase and ("any" in q.needs or bool(needs & set(q.needs)))


async def next_nudge(pair: Pair, day: date) -> tuple[str, Question]:
    """Move to one hour after the nudge for the meeting on ``day``; return it and its question."""
    mark = pair.mark()
    await until(pair.h, at_three(day) - timedelta(hours=23))
    got = nudges(pair, mark)
    assert len(got) == 1, [s.reply.text[:40] for s in pair.delivered(pair.mentor, mark)]
    assert got[0].at == at_three(day) - timedelta(hours=24)
    meeting = next(m for m in await pair.meetings() if m.id == meeting_of(got[0].reply))
    assert from_db(meeting.starts_at) == at_three(day)
    found = questions_in(pair.content, got[0].reply.text, "sv")
    assert len(found) == 1, got[0].reply.text
    return got[0].reply.text, found[0]


async def press_another(pair: Pair) -> Question:
    before = pair.mentor.last.text
    replies = await pair.mentor.presses(latest_choice(pair.mentor, "coach:more:"))
    assert len(replies) == 1 and replies[0].text != before
    found = questions_in(pair.content, replies[0].text, "sv")
    assert len(found) == 1, replies[0].text
    assert {c.id.split(":")[1] for c in replies[0].choices} == {"useful", "more", "later"}
    return found[0]


async def test_six_monthly_meetings_never_repeat_a_question_and_fit_needs_and_phase(
    h: Harness,
) -> None:
    needs = {"career", "emotional"}
    pair = await make_pair(h, needs=tuple(sorted(needs)))
    await book_monthly(pair)
    shown: list[str] = []
    for day, phase in zip(MEETING_DAYS, PHASES, strict=True):
        _, first = await next_nudge(pair, day)
        another = await press_another(pair)
        assert another.id != first.id
        for q in (first, another):
            assert fits(q, needs, phase), (day, phase, q.id, q.needs, q.phase)
        shown += [first.id, another.id]
    assert len(shown) == 12 and len(set(shown)) == 12
    logged = await pair.coaching_log(pair.mentor, "question")
    assert [r.item_id for r in logged] == shown
    assert [r.verdict for r in logged] == ["more", None] * 6
    # The mentee never sees the mentor's coaching.
    assert not any("coach:" in c.id for r in pair.mentee.inbox for c in r.choices)
    bank = {q.text("sv") for q in pair.content.coaching.questions}
    assert not any(t in r.text for r in pair.mentee.inbox for t in bank)


async def test_another_one_is_different_at_once_and_a_second_tap_does_not_pile_up(
    h: Harness,
) -> None:
    pair = await make_pair(h, needs=("practical",))
    await book_monthly(pair)
    _, first = await next_nudge(pair, MEETING_DAYS[0])
    old_button = latest_choice(pair.mentor, "coach:more:")
    another = await press_another(pair)
    assert another.id != first.id and fits(another, {"practical"}, "start")
    again = await pair.mentor.presses(old_button)
    assert [r.text for r in again] == [pair.content.t("sv", "coaching.already_replaced")]
    assert len(await pair.coaching_log(pair.mentor, "question")) == 2


async def test_verdicts_steer_the_next_question(h: Harness) -> None:
    pair = await make_pair(h, needs=("career",))
    await book_monthly(pair)
    _, skipped = await next_nudge(pair, MEETING_DAYS[0])
    liked = await press_another(pair)
    assert liked.purpose != skipped.purpose
    thanks = await pair.mentor.presses(latest_choice(pair.mentor, "coach:useful:"))
    assert [r.text for r in thanks] == [pair.content.t("sv", "coaching.useful")]
    _, following = await next_nudge(pair, MEETING_DAYS[1])
    assert following.purpose == liked.purpose
    verdicts = [(r.item_id, r.verdict) for r in await pair.coaching_log(pair.mentor, "question")]
    assert verdicts == [(skipped.id, "more"), (liked.id, "useful"), (following.id, None)]


async def test_not_now_is_recorded_and_answered_kindly(h: Harness) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    await next_nudge(pair, MEETING_DAYS[0])
    replies = await pair.mentor.presses(latest_choice(pair.mentor, "coach:later:"))
    assert [r.text for r in replies] == [pair.content.t("sv", "coaching.later")]
    assert [r.verdict for r in await pair.coaching_log(pair.mentor, "question")] == ["later"]


async def test_agenda_points_reach_the_mentors_nudge_and_close_after_the_meeting(
    h: Harness,
) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    await pair.mentee.says("/agenda Hur förbereder jag mig för disputationen?")
    await pair.mentee.says("/agenda")
    await pair.mentee.says("Att nätverka i industrin")
    text, _ = await next_nudge(pair, MEETING_DAYS[0])
    t = pair.content.t
    block = "\n".join(
        [
            t("sv", "coaching.nudge.agenda_head", names="Bea"),
            t("sv", "coaching.nudge.agenda_item", text="Hur förbereder jag mig för disputationen?"),
            t("sv", "coaching.nudge.agenda_item", text="Att nätverka i industrin"),
        ]
    )
    assert block in text
    # The meeting took place: those points are done, and the next nudge says so.
    await until(h, at_three(MEETING_DAYS[0]) + timedelta(hours=2))
    await pair.mentee.presses(latest_choice(pair.mentee, "mtg:", suffix=":met:yes"))
    await pair.mentee.says("/agenda Hitta en postdoc")
    text, _ = await next_nudge(pair, MEETING_DAYS[1])
    assert "disputationen" not in text and "nätverka" not in text
    assert t("sv", "coaching.nudge.agenda_item", text="Hitta en postdoc") in text


async def test_nudge_time_follows_the_programme_setting(h: Harness) -> None:
    pair = await make_pair(h)
    await pair.set_programme(settings={"coach_hours": 2})
    await book_monthly(pair)
    mark = pair.mark()
    await until(h, at_three(MEETING_DAYS[0]) - timedelta(hours=3))
    assert nudges(pair, mark) == []
    await until(h, at_three(MEETING_DAYS[0]) - timedelta(minutes=90))
    got = nudges(pair, mark)
    assert [s.at for s in got] == [at_three(MEETING_DAYS[0]) - timedelta(hours=2)]


async def test_tips_come_now_and_then_and_never_twice(h: Harness) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    tips = {t.text("sv"): t for t in pair.content.coaching.tips}
    per_meeting = []
    for day in MEETING_DAYS[:5]:
        text, _ = await next_nudge(pair, day)
        per_meeting.append([tip.id for body, tip in tips.items() if body in text])
    assert [len(found) for found in per_meeting] == [1, 0, 1, 0, 1]
    shown = [found[0] for found in per_meeting if found]
    assert len(set(shown)) == 3
    assert [r.item_id for r in await pair.coaching_log(pair.mentor, "tip")] == shown


@pytest.mark.parametrize(
    ("mode", "bonding_at"),
    [("online", [1, 1, 0]), ("hybrid", [1, 1, 0]), ("face_to_face", [0, 0, 0])],
)
async def test_icebreaker_at_the_first_meeting_and_bonding_only_for_online_pairs(
    h: Harness, mode: str, bonding_at: list[int]
) -> None:
    pair = await make_pair(h, mode=mode)
    await book_monthly(pair)
    icebreakers = [p.text("sv") for p in pair.content.prompts.icebreakers]
    bonding = [p.text("sv") for p in pair.content.prompts.online_bonding]
    seen_ice, seen_bond, bond_texts = [], [], []
    prep_ice = []
    for day in MEETING_DAYS[:3]:
        mark = pair.mark()
        text, _ = await next_nudge(pair, day)
        seen_ice.append(sum(p in text for p in icebreakers))
        seen_bond.append(sum(p in text for p in bonding))
        bond_texts += [p for p in bonding if p in text]
        prep = [s.reply.text for s in pair.delivered(pair.mentee, mark)]
        prep_ice.append(sum(p in body for p in icebreakers for body in prep))
    assert seen_ice == [1, 0, 0]
    assert prep_ice == [1, 0, 0]  # the mentee gets the same icebreaker in her preparation
    assert seen_bond == bonding_at
    assert len(set(bond_texts)) == len(bond_texts)


async def test_reflection_after_a_held_meeting_is_the_mentors_private_note(h: Harness) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    await until(h, at_three(MEETING_DAYS[0]) + timedelta(hours=2))
    mark = pair.mark()
    await pair.mentee.presses(latest_choice(pair.mentee, "mtg:", suffix=":met:yes"))
    prompts = {p.text("sv"): p.id for p in pair.content.prompts.mentor_reflection}
    assert not any(b in s.reply.text for s in pair.delivered(pair.mentor, mark) for b in prompts)
    await h.wait(timedelta(hours=1))
    got = [s for s in pair.delivered(pair.mentor, mark) if "coach:write:" in str(s.reply.choices)]
    assert len(got) == 1
    assert got[0].at == at_three(MEETING_DAYS[0]) + timedelta(hours=3)
    assert [pid for body, pid in prompts.items() if body in got[0].reply.text] == ["refl_1"]
    assert not any(body in r.text for r in pair.mentee.inbox for body in prompts)
    reply = await pair.mentor.says("Jag pratade för mycket. Nästa gång vill jag lyssna mer.")
    assert [r.text for r in reply] == [pair.content.t("sv", "coaching.reflection.saved")]
    notes = await pair.notes(pair.mentor)
    assert [(n.kind, n.prompt_id, n.text) for n in notes] == [
        ("reflection", "refl_1", "Jag pratade för mycket. Nästa gång vill jag lyssna mer.")
    ]
    assert await pair.notes(pair.mentee) == []
    own = await pair.mentor.says("/note")
    assert "Jag pratade för mycket" in own[0].text
    theirs = await pair.mentee.says("/note")
    assert theirs[0].text == pair.content.t("sv", "companion.note.empty")
    assert not any("Jag pratade för mycket" in r.text for r in pair.mentee.inbox)


async def test_a_mentor_who_answers_herself_gets_the_prompt_and_can_use_the_button(
    h: Harness,
) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    await until(h, at_three(MEETING_DAYS[0]) + timedelta(hours=2))
    await pair.mentor.presses(latest_choice(pair.mentor, "mtg:", suffix=":met:yes"))
    await pair.mentee.presses(latest_choice(pair.mentee, "mtg:", suffix=":met:yes"))
    await h.wait(timedelta(hours=2))
    assert pair.content.prompts.mentor_reflection[0].text("sv") in pair.mentor.last.text
    assert len(await pair.coaching_log(pair.mentor, "reflection")) == 1  # one prompt, not two
    await pair.mentor.presses(latest_choice(pair.mentor, "coach:write:"))
    assert pair.mentor.last.text == pair.content.t("sv", "coaching.reflection.ask")
    saved = await pair.mentor.says("Bea vet mycket mer om maskininlärning än jag.")
    assert [r.text for r in saved] == [pair.content.t("sv", "coaching.reflection.saved")]
    assert [(n.kind, n.text) for n in await pair.notes(pair.mentor)] == [
        ("reflection", "Bea vet mycket mer om maskininlärning än jag.")
    ]
    # The journal step is closed now: the next words are not filed away.
    await pair.mentor.says("hej")
    assert len(await pair.notes(pair.mentor)) == 1


async def test_not_now_on_a_reflection_leaves_the_journal_closed(h: Harness) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    await until(h, at_three(MEETING_DAYS[0]) + timedelta(hours=2))
    await pair.mentee.presses(latest_choice(pair.mentee, "mtg:", suffix=":met:yes"))
    await h.wait(timedelta(hours=2))
    later = await pair.mentor.presses(latest_choice(pair.mentor, "coach:skip:"))
    assert [r.text for r in later] == [pair.content.t("sv", "coaching.reflection.later")]
    await pair.mentor.says("nästa tisdag kl 15")
    assert await pair.notes(pair.mentor) == []


async def test_english_mentor_gets_english_coaching_and_swedish_mentee_swedish_prep(
    h: Harness,
) -> None:
    pair = await make_pair(h, mentor_lang="en", mentee_lang="sv", needs=("profile",))
    await book_monthly(pair)
    mark = pair.mark()
    await until(h, at_three(MEETING_DAYS[0]) - timedelta(hours=23))
    got = nudges(pair, mark)
    assert len(got) == 1
    # the day-before reminder and the coaching nudge arrive as one message (issue 23)
    reminder, text = got[0].reply.text.split("\n\n", 1)
    assert reminder.startswith("Reminder: you're meeting Tuesday 1 December at 15:00")
    assert text.startswith(
        "You'll soon meet Bea: Tuesday 1 December at 15:00 (Europe/Stockholm) · 60 min · online\n"
    )
    found = questions_in(pair.content, text, "en")
    assert len(found) == 1 and fits(found[0], {"profile"}, "start")
    assert [c.label for c in got[0].reply.choices] == [
        pair.content.t("en", f"coaching.buttons.{v}") for v in ("useful", "more", "later")
    ]
    prep = [s.reply.text for s in pair.delivered(pair.mentee, mark)]
    first_prep = pair.content.prompts.mentee_prep[0]
    assert any(p.startswith("Snart ses du och Anna") and first_prep.sv in p for p in prep)
    another = await pair.mentor.presses(latest_choice(pair.mentor, "coach:more:"))
    assert another[0].text.startswith("Here's another question:")


async def test_someone_elses_or_an_unknown_coaching_button_is_refused(h: Harness) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    await next_nudge(pair, MEETING_DAYS[0])
    button = latest_choice(pair.mentor, "coach:useful:")
    refused = await pair.mentee.presses(button)
    assert [r.text for r in refused] == [pair.content.t("sv", "basics.not_yours")]
    unknown = await pair.mentor.presses("coach:useful:99999:1")
    assert [r.text for r in unknown] == [pair.content.t("sv", "basics.stale_button")]
    garbled = await pair.mentor.presses("coach:useful:x")
    assert [r.text for r in garbled] == [pair.content.t("sv", "basics.stale_button")]
    assert [r.verdict for r in await pair.coaching_log(pair.mentor, "question")] == [None]


async def test_a_moved_meeting_gets_its_nudge_at_the_new_time_only(h: Harness) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    await pair.mentee.says("/reschedule")
    await pair.mentee.says("torsdag 3 december kl 10")
    await pair.mentor.presses(latest_choice(pair.mentor, "mtg:", suffix=":accept"))
    mark = pair.mark()
    await until(h, datetime(2026, 12, 3, 9, 0, tzinfo=STOCKHOLM))
    got = nudges(pair, mark)
    assert [s.at for s in got] == [datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM)]
