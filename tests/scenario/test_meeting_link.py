"""``/link``: an online pair saves its video link once; it shows in the
reminders and in the calendar file's LOCATION and URL (issue 19, behaviour 7).

The calendar files are parsed back with icalendar, as a calendar app would."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.store.models import Group
from tests.harness import Harness
from tests.meeting_steps import (
    agree_rhythm,
    book,
    event_of,
    latest_choice,
    latest_ics,
    make_pair,
)

LINK = "https://meet.jit.si/anna-och-bea"


async def saved_link(h: Harness, group_id: int) -> str | None:
    async with h.core.db.sessions() as s:
        group = await s.get(Group, group_id)
        assert group is not None
        return group.meeting_link


async def test_an_online_pair_saves_a_link_for_reminders_and_calendar(h: Harness) -> None:
    pair = await make_pair(h, mentee_lang="en")
    anna, bea = pair.people
    await agree_rhythm(pair, mode="online")
    meeting = await book(pair, anna, "nästa tisdag kl 15", bea)
    assert "LOCATION" not in event_of(latest_ics(anna))
    # bad input: a clear answer, nothing saved
    await anna.says("/link meet.jit.si/anna")
    assert anna.last.text.startswith("Det ser inte ut som en webblänk.")
    await bea.says("/link ftp://example.org/room")
    assert bea.last.text.startswith("That doesn't look like a web link.")
    await bea.says("/link https://example.org/" + "x" * 600)
    assert bea.last.text.startswith("That link is too long – up to 500 characters will do.")
    assert await saved_link(h, pair.group_id) is None
    # saved once, for the pair; both get the calendar file again with the link in it
    await anna.says(f"/link {LINK}")
    assert anna.last.text == (
        f"Tack! Er videolänk är sparad: {LINK}\nDen kommer med i påminnelserna och i kalenderfilen."
    )
    assert bea.last.text == (
        f"Anna has saved your video link: {LINK}\n"
        "It will be in the reminders and in the calendar file."
    )
    assert await saved_link(h, pair.group_id) == LINK
    for who in pair.people:
        event = event_of(latest_ics(who))
        assert str(event["LOCATION"]) == LINK
        assert str(event["URL"]) == LINK
        assert int(event["SEQUENCE"]) == meeting.sequence + 1
    await bea.says("/link")
    assert bea.last.text.startswith(f"Your video link: {LINK}\n")
    # the reminders the day before and the hour before carry it, in each language
    start = pair.mark()
    await h.wait(timedelta(days=8))
    anna_reminders = [
        s.reply.text
        for s in pair.received(anna, start)
        if s.reply.text.startswith(("Påminnelse: ni ses", "Snart dags! Ni ses"))
    ]
    bea_reminders = [
        s.reply.text
        for s in pair.received(bea, start)
        if s.reply.text.startswith(("Reminder: you're meeting", "Almost time! You're meeting"))
    ]
    assert len(anna_reminders) == 2 and len(bea_reminders) == 2
    # the link closes the reminder's own paragraph (a mentor's coaching follows it)
    assert all(t.split("\n\n")[0].endswith(f"\nVideolänk: {LINK}") for t in anna_reminders)
    assert all(t.split("\n\n")[0].endswith(f"\nVideo link: {LINK}") for t in bea_reminders)


async def test_a_face_to_face_pair_is_told_a_link_is_not_needed(h: Harness) -> None:
    pair = await make_pair(h, mentor_lang="en")
    anna, bea = pair.people
    await agree_rhythm(pair, mode="face_to_face")
    await anna.says(f"/link {LINK}")
    assert anna.last.text.startswith("You've agreed to meet in person, so a video link")
    await bea.says(f"/link {LINK}")
    assert bea.last.text.startswith("Ni har kommit överens om att ses på plats")
    assert await saved_link(h, pair.group_id) is None
    await bea.says("/link")
    assert bea.last.text.startswith("Skriv /link följt av er videolänk")


#: what each language says, word for word (content in that language)
SAID = {
    "sv": {
        "invalid": "Det ser inte ut som en webblänk.",
        "saved": f"Tack! Er videolänk är sparad: {LINK}\n",
        "shared": f"Bea har sparat er videolänk: {LINK}\n",
        "in_reminder": f"\nVideolänk: {LINK}",
        "remove": "/link ta bort",
        "removed": "Videolänken är borttagen.",
        "removed_shared": "Bea har tagit bort er videolänk, så den finns inte längre med",
        "reminder": "Påminnelse: ni ses",
    },
    "en": {
        "invalid": "That doesn't look like a web link.",
        "saved": f"Thanks! Your video link is saved: {LINK}\n",
        "shared": f"Bea has saved your video link: {LINK}\n",
        "in_reminder": f"\nVideo link: {LINK}",
        "remove": "/link remove",
        "removed": "The video link has been removed.",
        "removed_shared": "Bea has removed your video link, so it's no longer in",
        "reminder": "Reminder: you're meeting",
    },
}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_link_saved_before_booking_is_in_the_booked_calendar_and_can_be_removed(
    h: Harness, lang: str
) -> None:
    said = SAID[lang]
    pair = await make_pair(h, mentor_lang=lang, mentee_lang=lang)
    anna, bea = pair.people
    await agree_rhythm(pair, mode="hybrid")
    # addresses that are not http(s) are refused, in the person's language, and nothing is kept
    for bad in ("javascript:alert(1)", "mailto:anna@example.org", "https://", "meet jit si"):
        await bea.says(f"/link {bad}")
        assert bea.last.text.startswith(said["invalid"]), bad
    assert await saved_link(h, pair.group_id) is None
    await bea.says(f"/link {LINK}")
    assert bea.last.text.startswith(said["saved"])
    assert anna.last.text.startswith(said["shared"])
    assert not bea.last.attachments  # nothing booked yet, no calendar file to update
    # booked afterwards: the calendar file carries it from the start
    meeting = await book(pair, anna, "nästa tisdag kl 15", bea)
    for who in pair.people:
        event = event_of(latest_ics(who))
        assert (str(event["LOCATION"]), str(event["URL"])) == (LINK, LINK)
    start = pair.mark()
    await h.wait(timedelta(days=5, hours=6))  # 30 November 16:00: past the reminder the day before
    for who in pair.people:
        [reminder] = [
            s.reply.text
            for s in pair.received(who, start)
            if s.reply.text.startswith(said["reminder"])
        ]
        assert said["in_reminder"] in reminder.split("\n\n")[0]
    # removed: both are told, and the calendar file comes again without it
    await bea.says(said["remove"])
    assert bea.last.text == said["removed"]
    assert anna.last.text.startswith(said["removed_shared"])
    assert await saved_link(h, pair.group_id) is None
    for who in pair.people:
        event = event_of(latest_ics(who))
        assert "LOCATION" not in event and "URL" not in event
        assert int(event["SEQUENCE"]) == meeting.sequence + 1
    await bea.says(said["remove"])  # nothing left to remove: how to add one
    assert bea.last.text == h.core.content.t(lang, "meetings.link.usage")


async def test_forget_takes_the_link_only_from_the_person_who_saved_it(h: Harness) -> None:
    pair = await make_pair(h, mentee_lang="en")
    anna, bea = pair.people
    await agree_rhythm(pair, mode="online")
    room = "https://meet.jit.si/kvantlabbet-4711"
    await anna.says(f"/link {room}")
    mydata = (await anna.says("/mydata"))[0].attachments[0].content.decode()
    assert json.loads(mydata)["memberships"][0]["meeting_link"] == room
    await bea.says("/forget")
    await bea.presses(latest_choice(bea, "priv:forget:yes"))
    assert await saved_link(h, pair.group_id) == room  # Anna's room, Anna's to keep
    await anna.says("/forget")
    await anna.presses(latest_choice(anna, "priv:forget:yes"))
    assert await saved_link(h, pair.group_id) is None
