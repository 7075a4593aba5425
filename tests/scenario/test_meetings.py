"""Meeting rhythm, scheduling, reminders, calendar files and pauses (issue 5).

Each scenario runs the real core on a fake clock: the pair joins through the
real onboarding, the rhythm is proposed with the rhythm flow's own buttons,
meetings are typed in free text, and months pass in a few hundred
milliseconds.  Every delivered message carries the simulated time it arrived.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.store.db import from_db
from bot.store.models import Group, Meeting, OutboxMessage
from tests.harness import Harness
from tests.harness import Person as Member
from tests.meeting_steps import (
    NEW_YORK,
    STOCKHOLM,
    UTC,
    Pair,
    Stamped,
    agree_rhythm,
    book,
    event_of,
    exdates,
    ics_filenames,
    latest_choice,
    latest_ics,
    make_pair,
    propose_rhythm,
)

# ---------------------------------------------------------------------------------------
# 1. Rhythm proposals: matching, differing, outside the programme's frame
# ---------------------------------------------------------------------------------------


def side_by_side(who_msgs: list[str]) -> str:
    found = [
        t for t in who_msgs if t.startswith(("Här är era förslag", "Here are your suggestions"))
    ]
    assert len(found) == 1, found
    return found[0]


async def test_matching_proposals_are_suggested_exactly_as_they_are(h: Harness) -> None:
    pair = await make_pair(h, mentee_lang="en")
    anna, bea = pair.people
    first = await propose_rhythm(pair, anna, freq="monthly", minutes=45, mode="online")
    assert first[0].text == (
        "Tack! Jag har ditt förslag. När Bea har svarat visar jag era förslag sida vid sida."
    )
    await propose_rhythm(pair, bea, freq="monthly", minutes=45, mode="online")
    assert side_by_side(anna.texts()) == (
        "Här är era förslag sida vid sida:\n"
        "• Anna: en gång i månaden · 45 min · online\n"
        "• Bea: en gång i månaden · 45 min · online\n"
        "Mitt förslag till kompromiss: en gång i månaden · 45 min · online"
    )
    assert side_by_side(bea.texts()) == (
        "Here are your suggestions side by side:\n"
        "• Anna: once a month · 45 min · online\n"
        "• Bea: once a month · 45 min · online\n"
        "My suggested compromise: once a month · 45 min · online"
    )
    assert await pair.rhythm() is None  # nothing is agreed before both accept
    await anna.presses(latest_choice(anna, f"rhy:{pair.group_id}:accept:"))
    assert anna.last.text == "Toppen! Nu väntar vi bara på Bea."
    assert await pair.rhythm() is None
    await bea.presses(latest_choice(bea, f"rhy:{pair.group_id}:accept:"))
    rhythm = await pair.rhythm()
    assert rhythm is not None
    assert (rhythm.frequency_days, rhythm.minutes, rhythm.mode) == (30, 45, "online")
    assert rhythm.outside_frame is False
    assert "Ni har kommit överens om er mötesrytm: en gång i månaden · 45 min · online" in (
        anna.texts()
    )
    assert "You've agreed on your meeting rhythm: once a month · 45 min · online" in bea.texts()
    assert not any("utanför" in t for t in anna.texts())
    # scheduling starts for both
    assert anna.last.text.startswith("Dags att boka ert första möte!")
    assert any(t.startswith("Time to book your first meeting!") for t in bea.texts())


async def test_differing_proposals_get_a_compromise_between_them(h: Harness) -> None:
    pair = await make_pair(h)
    anna, bea = pair.people
    await propose_rhythm(
        pair, anna, freq="weekly", minutes=30, mode="face_to_face", when="tisdagar efter 15"
    )
    await propose_rhythm(pair, bea, freq="monthly", minutes=60, mode="online")
    expected = (
        "Här är era förslag sida vid sida:\n"
        "• Anna: varje vecka · 30 min · på plats · tisdagar efter 15\n"
        "• Bea: en gång i månaden · 60 min · online\n"
        "Mitt förslag till kompromiss: var tredje vecka · 45 min · hybrid · tisdagar efter 15"
    )
    # both see both proposals side by side, with the same suggestion
    assert side_by_side(anna.texts()) == expected
    assert side_by_side(bea.texts()) == expected
    for who in pair.people:
        await who.presses(latest_choice(who, f"rhy:{pair.group_id}:accept:"))
    rhythm = await pair.rhythm()
    assert rhythm is not None
    assert 7 < rhythm.frequency_days < 30 and 30 < rhythm.minutes < 60
    assert (rhythm.frequency_days, rhythm.minutes, rhythm.mode) == (21, 45, "hybrid")
    assert rhythm.when_text == "tisdagar efter 15"
    assert rhythm.outside_frame is False


async def test_changing_a_proposal_makes_the_old_suggestion_stale(h: Harness) -> None:
    pair = await make_pair(h)
    anna, bea = pair.people
    await propose_rhythm(pair, anna, freq="biweekly", minutes=30)
    await propose_rhythm(pair, bea, freq="monthly", minutes=30)
    old = latest_choice(anna, f"rhy:{pair.group_id}:accept:")
    await bea.presses(latest_choice(bea, f"rhy:{pair.group_id}:redo"))
    await propose_rhythm(pair, bea, freq="biweekly", minutes=30)
    await anna.presses(old)
    assert anna.last.text == (
        "Förslagen har ändrats sedan det här meddelandet – titta på det senaste."
    )
    assert await pair.rhythm() is None


async def test_a_rhythm_inside_the_frame_is_not_flagged(h: Harness) -> None:
    """The frame's edges: every 3 weeks and 20 minutes is inside a monthly 20–60 frame."""
    pair = await make_pair(h)
    await propose_rhythm(pair, pair.mentor, freq=21, minutes=20)
    await propose_rhythm(pair, pair.mentee, freq=21, minutes=20)
    assert "utanför" not in side_by_side(pair.mentor.texts())
    for who in pair.people:
        await who.presses(latest_choice(who, f"rhy:{pair.group_id}:accept:"))
    rhythm = await pair.rhythm()
    assert rhythm is not None and rhythm.outside_frame is False
    assert (rhythm.frequency_days, rhythm.minutes) == (21, 20)


# ---------------------------------------------------------------------------------------
# 2. Six months of a monthly rhythm: exactly the expected reminders and checks
# ---------------------------------------------------------------------------------------

FIRST_MONDAYS = [
    date(2026, 12, 7),
    date(2027, 1, 4),
    date(2027, 2, 1),
    date(2027, 3, 1),
    date(2027, 4, 5),  # after the change to summer time on 28 March
    date(2027, 5, 3),
]

REMINDER = {"sv": "Påminnelse: ni ses ", "en": "Reminder: you're meeting "}
SOON = {"sv": "Snart dags! Ni ses ", "en": "Almost time! You're meeting "}
CHECK = {"sv": "Hur gick det – blev mötet ", "en": "How did it go – did the meeting on "}


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("lang", "phrase"),
    [("sv", "första måndagen i månaden kl 18"), ("en", "first Monday of the month at 6pm")],
)
async def test_six_months_of_a_monthly_rhythm(h: Harness, lang: str, phrase: str) -> None:
    other = "en" if lang == "sv" else "sv"
    pair = await make_pair(h, mentor_lang=lang, mentee_lang=other)
    anna, bea = pair.people
    # This pair never answers; the series would pause itself after two unanswered
    # questions (issue 23, tested in test_quiet_pairs).  Here the timing across
    # months and the DST change is under test, so the programme never backs off.
    await pair.set_programme(settings={"quiet_after_prompts": 1000})
    await agree_rhythm(pair, freq="monthly", minutes=60)
    meeting = await book(pair, anna, phrase, bea)
    assert meeting.rrule == "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=18;BYMINUTE=0"
    assert from_db(meeting.starts_at) == at_local(FIRST_MONDAYS[0], 18)
    start, booked_at = pair.mark(), h.clock.now() + timedelta(seconds=1)
    await h.wait(datetime(2027, 5, 25, 12, tzinfo=STOCKHOLM) - h.clock.now())
    lang_of = {anna.name: lang, bea.name: other}
    expected_reminders = sorted(
        [at_local(d, 18) - timedelta(hours=24) for d in FIRST_MONDAYS]
        + [at_local(d, 17) for d in FIRST_MONDAYS]
    )
    expected_checks = [at_local(d, 19) for d in FIRST_MONDAYS]  # 60 minutes after the start
    for who in pair.people:
        got = pair.received(who, start)
        words = lang_of[who.name]
        reminders = [s for s in got if s.reply.text.startswith((REMINDER[words], SOON[words]))]
        checks = [s for s in got if s.reply.text.startswith(CHECK[words])]
        assert [s.at for s in reminders] == expected_reminders, who.name
        assert [s.at for s in checks] == expected_checks, who.name
        # each fires at the same local wall-clock time, across the DST change
        assert {s.at.astimezone(STOCKHOLM).time().isoformat() for s in reminders} == {
            "17:00:00",
            "18:00:00",
        }
        assert {s.at.astimezone(STOCKHOLM).hour for s in checks} == {19}
        assert checks[4].at.astimezone(STOCKHOLM).utcoffset() == timedelta(hours=2)
        assert checks[3].at.astimezone(STOCKHOLM).utcoffset() == timedelta(hours=1)
        # and each one names its own meeting, at 18:00 local time
        sv_names = [
            "måndag 7 december",
            "måndag 4 januari",
            "måndag 1 februari",
            "måndag 1 mars",
            "måndag 5 april",
            "måndag 3 maj",
        ]
        en_names = [
            "Monday 7 December",
            "Monday 4 January",
            "Monday 1 February",
            "Monday 1 March",
            "Monday 5 April",
            "Monday 3 May",
        ]
        for n, day in enumerate(sv_names if words == "sv" else en_names):
            if words == "sv":
                when = f"{day} kl. 18:00 (Europe/Stockholm) · 60 min · online."
                reminder = f"Påminnelse: ni ses {when}"
                soon = (
                    f"Snart dags! Ni ses {when} Finns det något du vill ta upp? "
                    "Skriv /agenda följt av din punkt."
                )
                check = f"Hur gick det – blev mötet {day} kl. 18:00 av?"
            else:
                when = f"{day} at 18:00 (Europe/Stockholm) · 60 min · online."
                reminder = f"Reminder: you're meeting {when}"
                soon = (
                    f"Almost time! You're meeting {when} Anything you'd like to bring up? "
                    "Type /agenda followed by your point."
                )
                check = f"How did it go – did the meeting on {day} at 18:00 happen?"
            # the day before; the mentor's coaching question rides along in one message
            assert reminders[2 * n].reply.text.split("\n\n")[0] == reminder
            assert reminders[2 * n + 1].reply.text == soon  # an hour before
            assert checks[n].reply.text == check
        assert checks[0].reply.choices and len(checks[0].reply.choices) == 4
        # nothing else from the meetings flow was sent in these months: no more, no fewer
        sent = await pair.meeting_sends(who, booked_at)
        assert sent["mtg_remind"] == 12 and sent["mtg_check"] == 6, sent
        assert sent["mtg"] == 0 and sent["?"] == 0, sent
        # every delivery is accounted for; coaching questions ride with a reminder
        # (and an edit that took an answered question's buttons away is no message)
        assert sum(sent.values()) - sent["coach_nudge"] - sent["strip"] == len(got)
    # the series has rolled on: six meetings awaiting answers, the seventh planned
    meetings = [m for m in await pair.meetings() if m.status != "replaced"]
    assert [m.status for m in meetings] == ["awaiting"] * 6 + ["planned"]
    assert from_db(meetings[-1].starts_at) == at_local(date(2027, 6, 7), 18)
    assert len({m.series_uid for m in meetings}) == 1
    # the next occurrence's reminders and check are planned, not yet sent
    jobs = await pair.pending_jobs()
    meeting_jobs = [j for j in jobs if j.kind in ("mtg_remind", "mtg_check")]
    assert sorted(from_db(j.due_at) for j in meeting_jobs) == [
        at_local(date(2027, 6, 6), 18),
        at_local(date(2027, 6, 7), 17),
        at_local(date(2027, 6, 7), 19),
    ]


# ---------------------------------------------------------------------------------------
# 3. Reschedule and cancel update the calendar file
# ---------------------------------------------------------------------------------------


def meeting_messages(pair: Pair, who: Member, since: int, lang: str = "sv") -> list[Stamped]:
    """Reminders and "did you meet?" checks delivered to ``who`` since mark ``since``."""
    return [
        s
        for s in pair.received(who, since)
        if s.reply.text.startswith((REMINDER[lang], SOON[lang], CHECK[lang]))
    ]


async def test_reschedule_sends_the_same_event_with_a_higher_sequence(h: Harness) -> None:
    pair = await make_pair(h, mentee_lang="en")
    anna, bea = pair.people
    await agree_rhythm(pair)
    first = await book(pair, anna, "den 3 december kl 10", bea)
    booked = {who.name: event_of(latest_ics(who)) for who in pair.people}
    uid = str(booked["anna"]["UID"])
    assert str(booked["bea"]["UID"]) == uid == f"{first.series_uid}@mentorbot"
    assert booked["anna"].decoded("DTSTART") == datetime(2026, 12, 3, 10, tzinfo=STOCKHOLM)
    assert int(booked["anna"]["SEQUENCE"]) == 0

    await anna.says("/reschedule")
    assert anna.last.text.startswith("När vill du flytta mötet till?")
    await anna.says("den 4 december kl 14")
    await bea.presses(latest_choice(bea, "mtg:"))  # "That works"
    assert anna.last.text.startswith(
        "Mötet är flyttat: fredag 4 december kl. 14:00 (Europe/Stockholm) · 60 min · online"
    )
    assert bea.last.text.startswith(
        "The meeting has moved: Friday 4 December at 14:00 (Europe/Stockholm) · 60 min · online"
    )
    for who in pair.people:
        cal = latest_ics(who)
        event = event_of(cal)
        assert str(cal["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == datetime(2026, 12, 4, 14, tzinfo=STOCKHOLM)
        assert event.decoded("DTEND") == datetime(2026, 12, 4, 15, tzinfo=STOCKHOLM)
        assert "RRULE" not in event
    statuses = {m.id: m.status for m in await pair.meetings()}
    assert statuses[first.id] == "rescheduled"
    await anna.says("/next")
    assert anna.last.text.startswith("Ert nästa möte: fredag 4 december kl. 14:00")

    since = pair.mark()
    await h.wait(datetime(2026, 12, 6, tzinfo=STOCKHOLM) - h.clock.now())
    got = meeting_messages(pair, anna, since)
    # only the new time's reminders and check; the old 3 December ones never fire
    assert [s.at for s in got] == [
        datetime(2026, 12, 3, 14, tzinfo=STOCKHOLM),
        datetime(2026, 12, 4, 13, tzinfo=STOCKHOLM),
        datetime(2026, 12, 4, 15, tzinfo=STOCKHOLM),
    ]
    assert all("4 december" in s.reply.text for s in got)
    assert len(meeting_messages(pair, bea, since, "en")) == 3


async def test_moving_one_meeting_of_a_series_keeps_the_series(h: Harness) -> None:
    """A one-off new time for a series moves that occurrence only: in the calendar an
    override (same UID, RECURRENCE-ID = the original start), in the bot the series goes on."""
    pair = await make_pair(h)
    anna, bea = pair.people
    await agree_rhythm(pair)
    series = await book(pair, anna, "första måndagen i månaden kl 18", bea)
    uid = str(event_of(latest_ics(anna))["UID"])
    await bea.says("/reschedule")
    await bea.says("tisdag 8 december kl 17")
    await anna.presses("Det passar")
    for who in pair.people:
        assert who.last.text.startswith(
            "Mötet är flyttat: tisdag 8 december kl. 17:00 (Europe/Stockholm) · 60 min · online"
        )
        event = event_of(latest_ics(who))
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("RECURRENCE-ID") == at_local(date(2026, 12, 7), 18)
        assert event.decoded("DTSTART") == at_local(date(2026, 12, 8), 17)
        assert "RRULE" not in event
    by_start = {from_db(m.starts_at): m for m in await pair.meetings()}
    assert by_start[at_local(date(2026, 12, 7), 18)].status == "rescheduled"
    assert by_start[at_local(date(2026, 12, 8), 17)].status == "planned"
    following = by_start[at_local(date(2027, 1, 4), 18)]
    assert (following.status, following.rrule, following.series_uid) == (
        "planned",
        series.rrule,
        series.series_uid,
    )
    since = pair.mark()
    await h.wait(datetime(2027, 1, 5, tzinfo=STOCKHOLM) - h.clock.now())
    assert [s.at for s in meeting_messages(pair, anna, since)] == [
        at_local(date(2026, 12, 7), 17),  # 24 h before the moved meeting, not 18:00
        at_local(date(2026, 12, 8), 16),
        at_local(date(2026, 12, 8), 18),
        at_local(date(2027, 1, 3), 18),  # and the series is back in January
        at_local(date(2027, 1, 4), 17),
        at_local(date(2027, 1, 4), 19),
    ]


async def test_cancelling_one_occurrence_then_the_whole_series(h: Harness) -> None:
    pair = await make_pair(h, frequency_days=14)
    anna, bea = pair.people
    await agree_rhythm(pair, freq="biweekly")
    series = await book(pair, anna, "varannan torsdag kl 16", bea)
    assert series.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;BYHOUR=16;BYMINUTE=0"
    first = datetime(2026, 11, 26, 16, tzinfo=STOCKHOLM)
    assert from_db(series.starts_at) == first
    uid = str(event_of(latest_ics(anna))["UID"])
    seq = int(event_of(latest_ics(anna))["SEQUENCE"])

    # skip tomorrow's meeting: the series goes on, the calendar gets an EXDATE
    await bea.says("/cancel")
    assert bea.last.text == (
        "Vill du ställa in varannan torsdag, första gången torsdag 26 november kl. 16:00 "
        "(Europe/Stockholm) · 60 min · online?"
    )
    assert bea.buttons() == ["Ställ in nästa möte", "Ställ in alla möten i serien", "Nej, behåll"]
    await bea.presses("Ställ in nästa möte")
    for who in pair.people:
        assert who.last.text.startswith(
            "Nästa möte är inställt – det är helt okej att hoppa över ett ibland."
        )
        cal = latest_ics(who)
        event = event_of(cal)
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) > seq
        rule = event["RRULE"]  # a series ends with the programme (issue 17)
        assert rule["FREQ"] == ["WEEKLY"] and rule["INTERVAL"] == [2] and rule["UNTIL"]
        assert exdates(event) == [first]
    skipped_seq = int(event_of(latest_ics(anna))["SEQUENCE"])
    planned = [m for m in await pair.meetings() if m.status == "planned"]
    assert [from_db(m.starts_at) for m in planned] == [first + timedelta(weeks=2)]

    since = pair.mark()
    await h.wait(datetime(2026, 12, 2, tzinfo=STOCKHOLM) - h.clock.now())
    assert meeting_messages(pair, anna, since) == []  # the skipped meeting stays quiet

    # cancel the whole series: METHOD:CANCEL, STATUS:CANCELLED, same UID
    await anna.says("/cancel")
    await anna.presses("Ställ in alla möten")
    for who in pair.people:
        assert who.last.text.startswith("Mötesserien är inställd.")
        cal = latest_ics(who)
        event = event_of(cal)
        assert str(cal["METHOD"]) == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) > skipped_seq
    assert [m for m in await pair.meetings() if m.status == "planned"] == []
    assert [j for j in await pair.pending_jobs() if j.kind.startswith("mtg_")] == []
    since = pair.mark()
    await h.wait(timedelta(days=60))
    assert meeting_messages(pair, anna, since) == []
    assert meeting_messages(pair, bea, since) == []
    await anna.says("/next")
    assert anna.last.text.startswith("Inget möte är bokat just nu.")


async def test_cancelling_a_single_meeting(h: Harness) -> None:
    pair = await make_pair(h)
    anna, bea = pair.people
    await agree_rhythm(pair)
    meeting = await book(pair, anna, "den 3 december kl 10", bea)
    await anna.says("/cancel")
    assert anna.buttons() == ["Ställ in nästa möte", "Nej, behåll"]
    await anna.presses("Nej, behåll")
    assert anna.last.text == "Då behåller vi mötet."
    await anna.says("/cancel")
    await anna.presses("Ställ in nästa möte")
    for who in pair.people:
        assert who.last.text == (
            "Mötet är inställt. Det är helt okej att hoppa över ett ibland – skriv /reschedule "
            "när ni vill boka ett nytt."
        )
        cal = latest_ics(who)
        event = event_of(cal)
        assert str(cal["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == f"{meeting.series_uid}@mentorbot"
        assert int(event["SEQUENCE"]) >= 1
    since = pair.mark()
    await h.wait(timedelta(days=14))
    assert meeting_messages(pair, anna, since) == meeting_messages(pair, bea, since) == []


# ---------------------------------------------------------------------------------------
# 4. Two members in two time zones
# ---------------------------------------------------------------------------------------


async def test_each_member_reads_the_time_in_their_own_zone_and_language(h: Harness) -> None:
    pair = await make_pair(h, mentee_lang="en", mentee_city="New York")
    anna, bea = pair.people
    await agree_rhythm(pair)
    # 22 March 2027: the US is already on summer time, Sweden not yet (5 hours apart)
    await anna.says("22 mars kl 15")
    assert anna.last.text == (
        "Jag har skickat ditt förslag till Bea: "
        "måndag 22 mars kl. 15:00 (din tid, Europe/Stockholm). "
        "Jag säger till när det är bekräftat."
    )
    assert bea.last.text == (
        "Anna suggests a meeting: Monday 22 March at 10:00 (America/New_York) · 60 min · "
        "online. Does that work?"
    )
    assert bea.buttons() == ["That works", "Suggest another time"]
    await bea.presses("Suggest another time")
    assert bea.last.text == "Okay – write a time that suits you better."
    await bea.says("next Tuesday at 3pm")  # 1 December, 15:00 in New York
    assert bea.last.text == (
        "I've sent your suggestion to Anna: "
        "Tuesday 1 December at 15:00 (your time, America/New_York). "
        "I'll let you know once it's confirmed."
    )
    assert anna.last.text == (
        "Bea föreslår ett möte: tisdag 1 december kl. 21:00 (Europe/Stockholm) · 60 min · "
        "online. Passar det?"
    )
    assert anna.buttons() == ["Det passar", "Föreslå en annan tid"]
    await anna.presses("Det passar")
    assert anna.last.text.startswith("Bokat! tisdag 1 december kl. 21:00 (Europe/Stockholm)")
    assert bea.last.text.startswith("Booked! Tuesday 1 December at 15:00 (America/New_York)")
    instant = datetime(2026, 12, 1, 20, tzinfo=UTC)
    for who in pair.people:
        event = event_of(latest_ics(who))
        assert event.decoded("DTSTART") == instant
    assert ics_filenames(anna) == ["mentorsmote.ics"]
    assert ics_filenames(bea) == ["mentoring-meeting.ics"]
    meetings = await pair.meetings()
    assert [m.status for m in meetings] == ["replaced", "planned"]
    # reminders reach both at the same instant, each read in their own zone
    since = pair.mark()
    await h.wait(timedelta(days=6, hours=12))
    anna_got = meeting_messages(pair, anna, since)
    bea_got = meeting_messages(pair, bea, since, "en")
    assert [s.at for s in anna_got] == [s.at for s in bea_got]
    assert anna_got[0].at == instant - timedelta(hours=24)
    assert anna_got[0].reply.text.startswith("Påminnelse: ni ses tisdag 1 december kl. 21:00")
    assert bea_got[0].reply.text.startswith("Reminder: you're meeting Tuesday 1 December at 15:00")
    assert bea_got[0].at.astimezone(NEW_YORK).hour == 15


# ---------------------------------------------------------------------------------------
# 5. Unparseable, ambiguous and past times get a clear re-ask
# ---------------------------------------------------------------------------------------

RE_ASK = {
    ("sv", "unparseable"): "Den tiden förstod jag inte. Prova till exempel ”nästa tisdag kl 15”, "
    "”imorgon 14:30” eller ”den 3 december kl 10”.",
    ("sv", "ambiguous"): "Det kan betyda flera saker. Skriv gärna både dag och tid, till exempel "
    "”fredag den 4 december kl 15” eller ”4/12 kl 15”.",
    ("sv", "past"): "Den tiden har redan varit. Skriv en tid framåt, till exempel ”nästa tisdag "
    "kl 15”.",
    ("en", "unparseable"): "I didn't understand that time. Try for example “next Tuesday at 3pm”, "
    "“tomorrow 2:30pm” or “December 3 at 10am”.",
    ("en", "ambiguous"): "That could mean more than one thing. Please give both day and time, for "
    "example “Friday 4 December at 3pm”.",
    ("en", "past"): "That time has already passed. Please write a time ahead, for example “next "
    "Tuesday at 3pm”.",
}


async def test_unclear_times_are_asked_again_and_nothing_is_booked(h: Harness) -> None:
    pair = await make_pair(h, mentee_lang="en")
    anna, bea = pair.people
    await agree_rhythm(pair)
    tries = [
        (anna, "sv", "hej", "unparseable"),
        (anna, "sv", "någon gång snart", "unparseable"),
        (anna, "sv", "15/16", "ambiguous"),
        (anna, "sv", "tisdag den 3 december", "ambiguous"),
        (anna, "sv", "igår kl 10", "past"),
        (anna, "sv", "24/11 kl 10", "past"),
        (bea, "en", "hello", "unparseable"),
        (bea, "en", "3/12 at 10", "ambiguous"),
        (bea, "en", "next week", "ambiguous"),
        (bea, "en", "yesterday at 3pm", "past"),
    ]
    for who, lang, typed, reason in tries:
        partner = bea if who is anna else anna
        partner_had = len(partner.inbox)
        replies = await who.says(typed)
        assert [r.text for r in replies] == [RE_ASK[(lang, reason)]], typed
        assert len(partner.inbox) == partner_had, typed
    # a day without a time asks for the time; a time that has passed today is refused
    await anna.says("idag")
    assert anna.last.text == "Vilken tid? Skriv till exempel 15 eller 14:30."
    await anna.says("9")
    assert anna.last.text == RE_ASK[("sv", "past")]
    await anna.says("kl 25")
    assert anna.last.text == RE_ASK[("sv", "unparseable")]
    assert await pair.meetings() == []
    async with h.core.db.sessions() as s:
        proposals = select(OutboxMessage).where(OutboxMessage.idem_key.contains(":proposal:"))
        assert (await s.scalars(proposals)).all() == []
    # and the dialog still works afterwards
    await anna.says("på fredag")
    assert anna.last.text == "Vilken tid? Skriv till exempel 15 eller 14:30."
    await anna.says("14:30")
    assert bea.last.text.startswith("Anna suggests a meeting: Friday 27 November at 14:30")
    assert [m.status for m in await pair.meetings()] == ["proposed"]


# ---------------------------------------------------------------------------------------
# 6. Pause, resume, and skipping a meeting
# ---------------------------------------------------------------------------------------


async def monthly_series(pair: Pair) -> Meeting:
    await agree_rhythm(pair)
    return await book(pair, pair.mentor, "första måndagen i månaden kl 18", pair.mentee)


async def group_status(pair: Pair) -> tuple[str, datetime | None]:
    async with pair.h.core.db.sessions() as s:
        group = await s.get(Group, pair.group_id)
        assert group is not None
        return group.status, from_db(group.paused_until) if group.paused_until else None


async def test_pause_until_a_date_silences_the_pair_until_it_passes(h: Harness) -> None:
    pair = await make_pair(h, mentee_lang="en")
    anna, bea = pair.people
    await monthly_series(pair)
    since = pair.mark()
    await anna.says("/pause 10 januari")
    assert anna.last.text == (
        "Pausat till söndag 10 januari. Jag skickar inga påminnelser tills dess – vila gott!"
    )
    assert bea.last.text == (
        "Anna has paused your mentoring until Sunday 10 January, for example for holidays or "
        "exams. I'll be in touch when the pause is over."
    )
    resume_at = datetime(2027, 1, 10, tzinfo=STOCKHOLM)
    assert await group_status(pair) == ("paused", resume_at)
    await h.wait(datetime(2027, 2, 3, tzinfo=STOCKHOLM) - h.clock.now())
    for who, lang in ((anna, "sv"), (bea, "en")):
        got = meeting_messages(pair, who, since, lang)
        # 7 December and 4 January fall in the pause: nothing; 1 February: all three
        assert [s.at for s in got] == [
            datetime(2027, 1, 31, 18, tzinfo=STOCKHOLM),
            datetime(2027, 2, 1, 17, tzinfo=STOCKHOLM),
            datetime(2027, 2, 1, 19, tzinfo=STOCKHOLM),
        ], who.name
        resumed = [
            s
            for s in pair.received(who, since)
            if s.reply.text.startswith(("Pausen är slut", "The pause is over"))
        ]
        assert [s.at for s in resumed] == [resume_at]
    assert await group_status(pair) == ("active", None)


async def test_resume_early_restarts_reminders(h: Harness) -> None:
    pair = await make_pair(h)
    anna, bea = pair.people
    await monthly_series(pair)
    await bea.says("/pause")
    assert bea.last.text.startswith("Till när vill du pausa?")
    await bea.says("1 mars")
    assert bea.last.text.startswith("Pausat till måndag 1 mars.")
    since = pair.mark()
    await h.wait(datetime(2026, 12, 20, tzinfo=STOCKHOLM) - h.clock.now())
    assert meeting_messages(pair, anna, since) == []
    await anna.says("/resume")
    assert anna.last.text.startswith("Pausen är slut – välkommen tillbaka!")
    assert bea.last.text.startswith("Pausen är slut – välkommen tillbaka!")
    assert await group_status(pair) == ("active", None)
    await anna.says("/resume")
    assert anna.last.text == "Ni har ingen paus just nu."
    await h.wait(datetime(2027, 3, 2, tzinfo=STOCKHOLM) - h.clock.now())
    # 7 December fell in the pause; January, February and March are back to normal
    expected = [
        when
        for d in (date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1))
        for when in (at_local(d, 18) - timedelta(days=1), at_local(d, 17), at_local(d, 19))
    ]
    for who in pair.people:
        assert [s.at for s in meeting_messages(pair, who, since)] == expected, who.name
        # the pause's own end date (1 March) passing later announces nothing more
        assert [t for t in who.texts() if t.startswith("Pausen är slut")] == [
            "Pausen är slut – välkommen tillbaka! Skriv /next för att se ert nästa möte, eller "
            "/reschedule för att boka ett."
        ]


async def test_skipping_one_meeting_is_fine_and_the_series_goes_on(h: Harness) -> None:
    pair = await make_pair(h, mentee_lang="en")
    anna, bea = pair.people
    await monthly_series(pair)
    await bea.says("/cancel")
    assert bea.last.text.startswith("Do you want to cancel the first Monday of the month")
    await bea.presses("Cancel the next meeting")
    assert bea.last.text == (
        "The next meeting is cancelled – skipping one now and then is perfectly fine. You'll "
        "meet next time: Monday 4 January at 18:00 (Europe/Stockholm) · 60 min · online"
    )
    assert anna.last.text == (
        "Nästa möte är inställt – det är helt okej att hoppa över ett ibland. Ni ses nästa "
        "gång: måndag 4 januari kl. 18:00 (Europe/Stockholm) · 60 min · online"
    )
    since = pair.mark()
    await h.wait(datetime(2027, 1, 5, tzinfo=STOCKHOLM) - h.clock.now())
    assert [s.at for s in meeting_messages(pair, anna, since)] == [
        at_local(date(2027, 1, 3), 18),
        at_local(date(2027, 1, 4), 17),
        at_local(date(2027, 1, 4), 19),
    ]
