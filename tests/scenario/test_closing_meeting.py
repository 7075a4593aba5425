"""The programme's end (issue 19, part 6; guide section 8), in Swedish and English.

Three weeks before the end the pair gets a guide for its last meeting (the
goals from the agreement, what each has learnt, keeping in touch or not);
at the end a celebration that counts what they did, and the mentor an
acknowledgement document naming the programme, the period and the meetings.
A circle's mentor gets one too.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.store.db import to_db
from bot.store.models import Group, Meeting, Member, Programme
from tests.conftest import START
from tests.console_harness import Console
from tests.scenario.lifecycle_steps import agree_and_book, pair_list, programme_with_pair, said

W = {
    "sv": {
        "first": "nästa tisdag kl 15",
        "second": "tisdag 22 december kl 15",
        "last": "tisdag 19 januari kl 15",
        "met": "Ja, vi sågs",
        "fits": "Det passar",
        "step": "Skicka ansökan till forskarskolan",
        "guide": "STEM Up slutar 31 januari 2027, så snart är det dags för ert sista möte.",
        "goals": "1. Se tillbaka på målen från er överenskommelse.",
        "learnt": "2. Berätta för varandra vad ni har lärt er, var och en – mentorn också.",
        "touch": "Ni kan hålla kontakten, höras någon gång ibland eller avsluta här",
        "mentor_tip": "Som mentor: fråga gärna Bea vad som har betytt mest",
        "none_booked": "Skriv /reschedule och föreslå en tid för ert sista möte.",
        "celebrate": "🎉 Grattis – STEM Up är i mål! Mellan 1 december 2026 och 31 januari 2027 "
        "hann ni med 3 möten tillsammans.",
        "steps_done": "Ni bockade också av ett av era nästa steg.",
        "ack_line": "Att vara mentor är värt något.",
        "file": "intyg-mentorskap.html",
        "doc_title": "<h1>Intyg om mentorskap</h1>",
        "doc_period": "Anna har varit mentor i STEM Up från 1 december 2026 till 31 januari 2027.",
        "doc_count": "Under den tiden höll Anna 3 mentorsmöten med sin adept.",
        "evaluation": "Några frågor om hur det har gått",
        "old_count": "Ni träffades",
    },
    "en": {
        "first": "next tuesday at 3pm",
        "second": "tuesday 22 december at 3pm",
        "last": "tuesday 19 january at 3pm",
        "met": "Yes, we met",
        "fits": "That works",
        "step": "Send the application to the graduate school",
        "guide": "STEM Up ends on 31 January 2027, so your last meeting is coming up.",
        "goals": "1. Look back at the goals from your agreement.",
        "learnt": "2. Tell each other what you've each learnt – the mentor too.",
        "touch": "You can keep in touch, check in now and then, or end here",
        "mentor_tip": "As the mentor: ask Bea what has mattered most",
        "none_booked": "Type /reschedule and suggest a time for your last meeting.",
        "celebrate": "🎉 Congratulations – you've completed STEM Up! Between 1 December 2026 "
        "and 31 January 2027 you held 3 meetings together.",
        "steps_done": "You also ticked off one of your next steps.",
        "ack_line": "Being a mentor is worth something.",
        "file": "mentoring-acknowledgement.html",
        "doc_title": "<h1>Acknowledgement of mentorship</h1>",
        "doc_period": "Anna was a mentor in STEM Up from 1 December 2026 to 31 January 2027.",
        "doc_count": "During that time Anna held 3 mentoring meetings with a mentee.",
        "evaluation": "A few questions about how it went",
        "old_count": "You met",
    },
}


async def never_quiet(console: Console) -> None:
    """Bea answers few prompts here; the series would pause itself after two unanswered
    questions (issue 23).  The end of the programme is under test, so it never backs off."""
    async with console.core.db.transaction() as s:
        for programme in await s.scalars(select(Programme)):
            programme.settings = {**programme.settings, "quiet_after_prompts": 1000}


def files(console: Console, chat: str) -> dict[str, str]:
    return {
        name: data.decode("utf-8") for name, data in console.session.transport.files.get(chat, [])
    }


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_the_last_meeting_is_guided_and_the_end_celebrated_with_an_acknowledgement(
    console: Console, lang: str
) -> None:
    w = W[lang]
    await programme_with_pair(console, lang)
    await never_quiet(console)
    await console.run(agree_and_book("Anna", "Bea", w["first"], goal="Finish the thesis"))
    await console.run("$ program update stemup --end 2027-01-31")
    # meeting 1, a next step, meeting 2 (where the step is ticked off)
    await console.run(f"wait 6d\nwait 7h\n@anna [{w['met']}]")
    await console.run(f"wait 1m\n@anna /steps {w['step']}")
    await console.run(f"wait 1m\n@anna {w['second']}\n@bea [{w['fits']}]")
    out = await console.run("wait 20d")
    assert said(console, "anna", out + await console.run("wait 1d")) != ""
    await console.run(f"@anna [{w['met']}]\n@anna /steps\n@anna [✓ 1]")
    # nothing of the guide yet; it comes three weeks before the end (10 January)
    out = await console.run("wait 18d")
    assert w["guide"] not in "\n".join(out)
    out = await console.run("wait 1d")
    for who in ("anna", "bea"):
        guide = said(console, who, out)
        for part in ("guide", "goals", "learnt", "touch", "none_booked"):
            assert w[part] in guide, (who, part, guide)
        assert "• Finish the thesis (Bea)" in guide
    assert w["mentor_tip"] in said(console, "anna", out)
    assert w["mentor_tip"] not in said(console, "bea", out)
    # the last meeting, then the end
    await console.run(f"@anna /reschedule\n@anna {w['last']}\n@bea [{w['fits']}]")
    await console.run(f"wait 9d\n@anna [{w['met']}]")
    out = await console.run("wait 13d")  # past the close, the morning of 1 February
    for who in ("anna", "bea"):
        text = said(console, who, out)
        assert w["celebrate"] in text and w["steps_done"] in text, text
        # said once: the evaluation's questions went out a week before the end and
        # are not asked again, nor is the count repeated
        assert text.count(w["celebrate"]) == 1 and w["old_count"] not in text
        assert w["evaluation"] not in text
    assert w["ack_line"] in said(console, "anna", out)
    assert w["ack_line"] not in said(console, "bea", out)
    assert w["file"] not in files(console, "bea")
    document = files(console, "anna")[w["file"]]
    assert document.startswith("<!DOCTYPE html>") and f'lang="{lang}"' in document
    for part in ("doc_title", "doc_period", "doc_count"):
        assert w[part] in document, (part, document)
    assert "Bea" not in document  # the mentee is not named in what the mentor may show
    assert [p["status"] for p in await pair_list(console)] == ["completed"]


CIRCLE = {
    "sv": {
        "join": ("Svenska", "Ja", "Förstått"),
        "guide": "Cirklar slutar 1 juni 2027",
        "tip": "Som mentor: låt var och en i gruppen (Hanna, Ines och Jo) berätta",
        "none_booked": "Skriv /poll i gruppens chatt",
        "file": "intyg-mentorskap.html",
        "count": "Under den tiden höll Greta 2 mentorsmöten med en grupp på 3 adepter.",
        "period": "från 1 december 2026 till 1 juni 2027",
        "celebrate": "hann ni med 2 möten tillsammans",
    },
    "en": {
        "join": ("English", "Yes", "Got it"),
        "guide": "Cirklar ends on 1 June 2027",
        "tip": "As the mentor: let everyone in the circle (Hanna, Ines and Jo) say",
        "none_booked": "Type /poll in the circle's chat",
        "file": "mentoring-acknowledgement.html",
        "count": "During that time Greta held 2 mentoring meetings with a circle of 3 mentees.",
        "period": "from 1 December 2026 to 1 June 2027",
        "celebrate": "you held 2 meetings together",
    },
}


async def held_meetings(console: Console, group_id: int, days: list[int]) -> None:
    """Meetings the circle held (booked through its chat's poll elsewhere; here the
    end of the programme is under test, so they are written as taken place)."""
    async with console.core.db.transaction() as s:
        mentor = await s.scalar(
            select(Member.id).where(Member.group_id == group_id, Member.role == "mentor")
        )
        for day in days:
            at = datetime(2027, 1, day, 16, tzinfo=START.tzinfo)
            s.add(
                Meeting(
                    group_id=group_id,
                    uid=uuid.uuid4().hex,
                    series_uid=uuid.uuid4().hex,
                    starts_at=to_db(at),
                    minutes=60,
                    mode="online",
                    rrule=None,
                    tz="Europe/Stockholm",
                    status="held",
                    proposed_by=mentor,
                    sequence=0,
                    data={},
                    created_at=to_db(at - timedelta(days=7)),
                    updated_at=to_db(at),
                )
            )


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_circle_gets_the_guide_and_its_mentor_the_acknowledgement(
    console: Console, lang: str
) -> None:
    c = CIRCLE[lang]
    await console.run(
        "$ program create --name Cirklar --slug c --start 2026-12-01 --end 2027-06-01 "
        "--format group\n"
        "$ circle create --program c --mentor Greta --mentee Hanna --mentee Ines --mentee Jo"
    )
    await never_quiet(console)
    language, yes, ok = c["join"]
    for name in ("Greta", "Hanna", "Ines", "Jo"):
        who = name.lower()
        await console.run(
            f"@{who} /start {{code:{name}}}\n@{who} [{language}]\n@{who} [{yes}]\n"
            f"@{who} [{ok}]\n@{who} [{yes}]"
        )
    async with console.core.db.sessions() as s:
        group = await s.scalar(select(Group).where(Group.kind == "circle"))
        assert group is not None and group.status == "active"
        group_id = group.id
    await held_meetings(console, group_id, [12, 26])
    out = await console.run("wait 160d")  # 4 May; the guide is due 11 May
    assert c["guide"] not in "\n".join(out)
    out = await console.run("wait 10d")
    for who in ("greta", "hanna", "ines", "jo"):
        assert c["guide"] in said(console, who, out) and c["none_booked"] in said(console, who, out)
    assert c["tip"] in said(console, "greta", out)
    out = await console.run("wait 25d")
    for who in ("greta", "hanna", "ines", "jo"):
        assert c["celebrate"] in said(console, who, out)
    document = files(console, "greta")[c["file"]]
    assert c["count"] in document and c["period"] in document
    for mentee in ("hanna", "ines", "jo"):
        assert c["file"] not in files(console, mentee)


ALONE = {
    "sv": {
        "leave": "Ja, jag lämnar",
        "skip": "Hoppa över",
        "line": "Tack för ditt mentorskap i STEM Up. Att vara mentor är värt något",
        "count": "Under den tiden höll Anna ett mentorsmöte med sin adept.",
        "alone": "Ert mentorskap saknade en partner på slutet",
    },
    "en": {
        "leave": "Yes, I'm leaving",
        "skip": "Skip",
        "line": "Thank you for your mentorship in STEM Up. Being a mentor is worth something",
        "count": "During that time Anna held one mentoring meeting with a mentee.",
        "alone": "Your mentorship was missing a partner at the end",
    },
}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_mentor_left_alone_still_gets_the_acknowledgement_without_a_party(
    console: Console, lang: str
) -> None:
    w, a = W[lang], ALONE[lang]
    await programme_with_pair(console, lang)
    await never_quiet(console)
    await console.run(agree_and_book("Anna", "Bea", w["first"]))
    await console.run(f"wait 6d\nwait 7h\n@anna [{w['met']}]")
    await console.run(f"wait 1d\n@bea /leave\n@bea [{a['leave']}]\n@bea [{a['skip']}]")
    [pair] = await pair_list(console)
    assert pair["status"] == "incomplete"
    out = await console.run("wait 190d")  # past the end, 1 June 2027
    to_anna = said(console, "anna", out)
    assert a["line"] in to_anna and a["alone"] in to_anna
    assert "🎉" not in to_anna  # no celebration for a pair that ended apart
    document = files(console, "anna")[w["file"]]
    assert a["count"] in document and "1 december 2026" in document.lower()
    assert said(console, "bea", out) == ""  # whoever left hears nothing more
