"""A six-month programme with pairs that thrive, drift and drop out (issue 6).

Five pairs live through December 2026 – May 2027 on the simulated clock:

* A (Anna & Bea) meets every four weeks as agreed, answers check-ins: healthy.
* B (Cecilia & Dana) agreed every two weeks, met twice, the mentee's ratings
  fell (5 → 3), then they stopped meeting and stopped answering check-ins.
* C (Eva & Fatima) met once; then Fatima blocked the bot (unreachable).
* D (Greta & Hanna) never did their agreement (nor anything else).
* E (Ines & Jo) agreed every four weeks, met once, then paused for the winter
  (Dec 14 – Mar 1) and met every four weeks after: healthy, pauses count for nothing.

Every organiser alert must fire on its own simulated day, for the right group
and reason, and none for A or E, whose members get no nudge at all.  The
report at the end must match the simulated history exactly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.organiser.reports import build_report, render_csv
from bot.store.models import Programme
from tests.feedback_steps import (
    Pair,
    add_pair,
    answer_round,
    at,
    meeting_cycle,
    programme,
    walk_agreement,
)
from tests.harness import Harness

STHLM = ZoneInfo("Europe/Stockholm")


def local(day: str, hour: int = 15) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=STHLM)


A_DAYS = ["2026-12-08", "2027-01-05", "2027-02-02", "2027-03-02", "2027-03-30",
          "2027-04-27", "2027-05-25"]  # fmt: skip
E_DAYS = ["2026-12-07", "2027-03-08", "2027-04-05", "2027-05-03"]


async def test_six_months_alerts_fire_on_the_right_days(h: Harness) -> None:
    world = await programme(h)
    a = await add_pair(world, "anna", "bea")
    b = await add_pair(world, "cecilia", "dana")
    c = await add_pair(world, "eva", "fatima")
    d = await add_pair(world, "greta", "hanna")
    e = await add_pair(world, "ines", "jo")
    await walk_agreement(a, frequency_days=28)
    await walk_agreement(b, frequency_days=14)
    await walk_agreement(c, frequency_days=30)
    await walk_agreement(e, frequency_days=28)
    joined_d = h.clock.now()

    events: list[tuple[datetime, Callable[[], Awaitable[object]]]] = []

    def meeting(pair: Pair, day: str, ratings: tuple[int, int] = (5, 5)) -> None:
        events.append((local(day, 9), lambda: meeting_cycle(pair, f"{day} 15:00", ratings=ratings)))

    for day in A_DAYS:
        meeting(a, day, (5, 4))
    meeting(b, "2026-12-09", (4, 5))
    meeting(b, "2026-12-23", (4, 3))  # a drop of two points: the mentor is nudged
    meeting(c, "2026-12-10", (4, 4))
    for day in E_DAYS:
        meeting(e, day, (5, 5))

    async def fatima_blocks_the_bot() -> None:
        await h.core.mark_unreachable("test", "dm-fatima")

    async def winter_pause() -> None:
        await e.mentee.says("/pause 2027-03-01")

    events.append((local("2027-01-07", 12), fatima_blocks_the_bot))
    events.append((local("2026-12-14", 12), winter_pause))
    for pair, days in ((a, ("2026-12-26", "2027-04-25")), (e, ("2027-03-02", "2027-05-01"))):
        for day in days:
            for who in pair.people:
                events.append((local(day, 12), _answer_checkins(pair, who)))

    for when, action in sorted(events, key=lambda ev: ev[0]):
        await at(h, when)
        await action()
    await at(h, local("2027-05-31", 20))

    alerts = [
        (s.at.astimezone(UTC).date().isoformat(), s.reply.text)
        for s in world.to(world.organiser)
        if s.reply.text.startswith("⚠️")
    ]
    # Issue 23: a no-meeting alert comes within 2.5 × the pair's rhythm (a fortnightly
    # pair: nudged after 29 days, alerted 3.5 days later), and pairs that stopped
    # answering are no longer sent check-ins once two questions stand unanswered, so
    # "two check-ins in a row unanswered" no longer fires for them.
    expected = [
        ("2026-12-16", "Greta & Hanna", "mentorsöverenskommelsen är inte klar 14 dagar"),
        ("2026-12-30", "Cecilia & Dana", "adeptens betyg efter mötena sjunker"),
        ("2027-01-14", "Eva & Fatima", "Fatima går inte att nå"),
        (
            "2027-01-25",
            "Cecilia & Dana",
            "inget möte på 32 dagar (de kom överens om att ses varannan vecka)",
        ),
        (
            "2027-02-16",
            "Eva & Fatima",
            "inget möte på 68 dagar (de kom överens om att ses en gång i månaden)",
        ),
    ]
    assert len(alerts) == len(expected), alerts
    for (day, text), (want_day, group, reason) in zip(alerts, expected, strict=True):
        assert (day, group, reason) == (want_day, group, reason)
        assert text.startswith(f"⚠️ {group} (STEM Up)"), text
        assert reason in text, text
    # the healthy pairs: not one nudge, not one flag
    for pair in (a, e):
        assert await pair.flags() == []
        for who in pair.people:
            assert not [
                t
                for t in who.texts()
                if "knuff" in t
                or "Ett tips" in t
                or "sedan ert senaste möte" in t
                or "inte fått något svar från dig" in t
            ]
    # each troubled pair was nudged before its organisers heard of it
    nudges = {
        "dana": [s for s in world.to(b.mentee) if "sedan ert senaste möte" in s.reply.text],
        "cecilia_tip": [s for s in world.to(b.mentor) if s.reply.text.startswith("Ett tips")],
        "eva": [s for s in world.to(c.mentor) if "Jag når inte Fatima" in s.reply.text],
        "greta": [s for s in world.to(d.mentor) if "En vänlig knuff" in s.reply.text],
    }
    assert [s.at.date().isoformat() for s in nudges["dana"]] == ["2027-01-21"]
    assert [s.at.date().isoformat() for s in nudges["cecilia_tip"]] == ["2026-12-23"]
    assert [s.at.date().isoformat() for s in nudges["eva"]] == ["2027-01-07"]
    assert [s.at.date().isoformat() for s in nudges["greta"]] == [
        (joined_d + timedelta(days=14)).astimezone(UTC).date().isoformat()
    ]
    assert not [s for s in world.to(b.mentee) if s.reply.text.startswith("Ett tips")]

    # the report tells the same story as the simulation
    async with h.core.db.sessions() as s:
        p = await s.get(Programme, world.programme_id)
        assert p is not None
        report = await build_report(s, h.core.content, p, h.clock.now(), "en")
    rows = {r.name: r for r in report.groups}
    assert [(n, r.planned, r.held, r.upcoming) for n, r in rows.items()] == [
        ("Anna & Bea", 7, 7, 0),
        ("Cecilia & Dana", 2, 2, 0),
        ("Eva & Fatima", 1, 1, 0),
        ("Greta & Hanna", 0, 0, 0),
        ("Ines & Jo", 4, 4, 0),
    ]
    assert rows["Anna & Bea"].rating == 4.5 and rows["Anna & Bea"].ratings == 14
    assert rows["Cecilia & Dana"].rating == 4.0 and rows["Cecilia & Dana"].ratings == 4
    assert rows["Eva & Fatima"].rating is None and rows["Eva & Fatima"].ratings == 2
    assert rows["Ines & Jo"].rating == 5.0
    assert [r.agreement for r in rows.values()] == ["complete"] * 3 + ["open", "complete"]
    assert rows["Greta & Hanna"].agreement_items == "0/10"
    assert [r.frequency_days for r in rows.values()] == [28, 14, 30, None, 28]
    assert rows["Anna & Bea"].last_held == "2027-05-25"
    assert {(r.group, r.reason) for r in report.at_risk} == {
        ("Cecilia & Dana", "ratings"),
        ("Cecilia & Dana", "no_meeting"),
        ("Eva & Fatima", "unreachable"),
        ("Eva & Fatima", "no_meeting"),
        ("Greta & Hanna", "agreement"),
    }
    assert report.totals == {
        "groups": 5, "planned": 14, "held": 14, "agreements_complete": 4, "at_risk": 3,
        "not_joined": 0,
    }  # fmt: skip
    assert "Anna & Bea,pair,active,28,complete,10/10" in render_csv(report)


def _answer_checkins(pair: Pair, who) -> Callable[[], Awaitable[object]]:  # type: ignore[no-untyped-def]
    async def answer() -> None:
        assert await answer_round(who, _latest_checkin_prefix(pair, who)) >= 3

    return answer


def _latest_checkin_prefix(pair: Pair, who) -> str:  # type: ignore[no-untyped-def]
    for reply in reversed(who.inbox):
        for choice in reply.choices:
            if choice.id.startswith(f"fb:{pair.group_id}:c:"):
                return ":".join(choice.id.split(":")[:4])
    raise AssertionError(f"{who.name} got no check-in")
