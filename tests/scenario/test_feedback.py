"""Feedback after meetings, check-ins and the closing flow (issue 6, guide section 3)."""

from __future__ import annotations

import re
from datetime import UTC, date

from tests.feedback_steps import (
    add_pair,
    answer_round,
    at,
    book,
    meeting_cycle,
    met,
    programme,
    pulse,
    walk_agreement,
)
from tests.harness import Harness
from tests.scenario.test_health import local

SECRET = "HEMLIGT: jag vill byta mentor 7731"
SHARED = "Att vi börjar med mina frågor"


async def test_answers_stay_private_unless_shared(h: Harness) -> None:
    world = await programme(h)
    pair = await add_pair(world, "anna", "bea")
    await walk_agreement(pair, frequency_days=14)
    meeting = await book(pair, "2026-12-08 15:00")
    await at(h, local("2026-12-08", 16).replace(minute=5))
    await met(pair.mentee, meeting)
    intro = [t for t in pair.mentee.texts() if t.startswith("Tack för mötet")]
    assert len(intro) == 1 and "Hur givande var mötet? (1–5)" in intro[0]
    assert any(t.startswith("Tack för mötet") for t in pair.mentor.texts())  # both get one
    await pulse(pair.mentee, pair, meeting, 4, SHARED, SECRET, share_keep=True)
    # the shared answer reached the mentor, with the question it answers
    shared = [t for t in pair.mentor.texts() if SHARED in t]
    assert len(shared) == 1 and "Bea ville att du skulle få se" in shared[0]
    assert "Vad vill du att ni fortsätter med?" in shared[0]
    # the private one reached nobody: not the mentor, not the organiser, not even as an echo
    assert not [t for t in world.all_texts() if "7731" in t]
    assert not [o for o in h.transport.sent if "7731" in o.reply.text]
    rows = {(a.question_id, a.role): a for a in await pair.answers()}
    assert rows[("useful", "mentee")].rating == 4
    assert rows[("keep", "mentee")].shared and rows[("keep", "mentee")].choice == "shared"
    assert not rows[("change", "mentee")].shared
    assert rows[("change", "mentee")].text == SECRET
    assert "Dina svar stannar hos dig" in pair.mentee.last.text
    # a replayed button changes nothing; a stranger's press is refused
    await pair.mentee.presses(f"fb:{pair.group_id}:p:{meeting.id}:0:1")
    assert "redan svarat" in pair.mentee.last.text
    assert rows[("useful", "mentee")].rating == 4
    stranger = h.person("mallory")
    await stranger.presses(f"fb:{pair.group_id}:p:{meeting.id}:0:1")
    assert "hör till någon annan" in stranger.last.text
    # skipping is fine: the mentor skips all three
    await pulse(pair.mentor, pair, meeting, None)
    mentor_rows = [a for a in await pair.answers() if a.role == "mentor"]
    assert [(a.question_id, a.skipped) for a in mentor_rows] == [
        ("useful", True), ("keep", True), ("change", True),
    ]  # fmt: skip


async def test_falling_ratings_nudge_the_mentor_without_showing_them(h: Harness) -> None:
    world = await programme(h)
    pair = await add_pair(world, "anna", "bea")
    await walk_agreement(pair, frequency_days=14)
    await meeting_cycle(pair, "2026-12-08 15:00", ratings=(5, 5))
    await meeting_cycle(pair, "2026-12-22 15:00", ratings=(5, 4))
    assert not [t for t in pair.mentor.texts() if t.startswith("Ett tips")]  # 5 → 4 is no fall
    await meeting_cycle(pair, "2027-01-05 15:00", ratings=(5, 3))  # 5 → 4 → 3: falling
    tips = [t for t in pair.mentor.texts() if t.startswith("Ett tips")]
    assert len(tips) == 1
    assert "fråga Bea hur mentorskapet fungerar." in tips[0]
    assert not re.search(r"\d", tips[0]), tips[0]  # no rating, no number at all
    assert not [t for t in pair.mentee.texts() if t.startswith("Ett tips")]
    assert [(f.reason, f.resolved_at) for f in await pair.flags()] == [("ratings", None)]
    # the next rating rises: resolved before the organisers were ever alerted
    await meeting_cycle(pair, "2027-01-09 15:00", ratings=(5, 4))
    flags = await pair.flags()
    assert flags[0].resolved_at is not None and flags[0].alerted_at is None
    await at(h, local("2027-01-25"))
    assert not [s for s in world.to(world.organiser) if s.reply.text.startswith("⚠️")]


async def test_checkins_midpoint_and_closing_follow_the_programme(h: Harness) -> None:
    # the pair never answers; it would go quiet after two rounds (issue 23, see
    # test_quiet_pairs), so here, where the calendar of rounds is under test, it never does
    world = await programme(h, settings={"quiet_after_prompts": 1000})
    pair = await add_pair(world, "anna", "bea")
    await at(h, local("2027-05-31", 20))

    def days(prefix: str) -> list[str]:
        return [s.at.astimezone(UTC).date().isoformat() for s in world.to(pair.mentee)
                if s.reply.text.startswith(prefix)]  # fmt: skip

    # check-in after 30 days; the next (day 90) falls a week before the midpoint, so it
    # moves on by 60 days; the end-of-programme evaluation comes a week before the end
    assert days("Dags för en kort avstämning") == ["2026-12-25", "2027-04-24"]
    assert days("Ni är halvvägs") == ["2027-03-01"]
    # they never met: no praise of meetings that never took place (issue 17)
    assert days("🌱 STEM Up går mot sitt slut") == ["2027-05-24"]
    closing = next(t for t in pair.mentor.texts() if t.startswith("🌱"))
    assert "Ni hann inte träffas" in closing and "vart och ett" not in closing
    # the mentor reflects (guide section 8) and is told what comes next
    assert await answer_round(pair.mentor, f"fb:{pair.group_id}:f:1") >= 4
    mentor_asked = "\n".join(pair.mentor.texts())
    assert "Vad har du lärt dig om dig själv under tiden som mentor?" in mentor_asked
    assert pair.mentor.last.text.startswith("Tack för allt du har gett som mentor!")
    await answer_round(pair.mentee, f"fb:{pair.group_id}:f:1")
    assert pair.mentee.last.text.startswith("Tack för att du var med")
    assert "Vad har du lärt dig om dig själv" not in "\n".join(pair.mentee.texts())
    # the two unanswered check-ins: a nudge on the tenth day after the second
    nudged = [
        s.at.date()
        for s in world.to(pair.mentee)
        if "inte fått något svar från dig" in s.reply.text
    ]
    assert nudged == [date(2027, 5, 4)]
