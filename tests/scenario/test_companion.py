"""The mentee's companion (issue 7): /agenda, /note, /resources, /contact, preparation."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.organiser.programmes import add_organiser
from bot.store.models import Member, Programme
from tests.harness import Harness
from tests.scenario.coaching_steps import book_monthly, join, latest_choice, make_pair

STOCKHOLM = ZoneInfo("Europe/Stockholm")
FIRST = datetime(2026, 12, 1, 15, 0, tzinfo=STOCKHOLM)
SECOND = datetime(2027, 1, 5, 15, 0, tzinfo=STOCKHOLM)
THIRD = datetime(2027, 2, 2, 15, 0, tzinfo=STOCKHOLM)
SECRET = "Matchningen känns inte rätt, Anna avbryter mig hela tiden."


async def test_contact_reaches_the_organiser_and_never_the_partner(h: Harness) -> None:
    pair = await make_pair(h, organiser=True)
    assert pair.organiser is not None
    before = len(pair.organiser.inbox)
    ack = await pair.mentee.says(f"/contact {SECRET}")
    t = pair.content.t
    assert [r.text for r in ack] == [t("sv", "companion.contact.sent", programme="STEM Up")]
    got = pair.organiser.inbox[before:]
    assert [r.text for r in got] == [
        t(
            "sv",
            "companion.contact.to_organiser",
            programme="STEM Up",
            name="Bea",
            role="adept",
            group="Anna & Bea",
            text=SECRET,
        )
    ]
    stored = await pair.organiser_messages()
    assert [(m.programme_id, m.text) for m in stored] == [(pair.programme_id, SECRET)]
    assert stored[0].person_id == await pair.person_id(pair.mentee)
    # The partner's whole inbox, then and after months of programme, never shows it.
    await h.wait(timedelta(days=40))
    assert pair.mentor.inbox, "the mentor did get her ordinary messages"
    assert not any("Matchningen" in r.text or "avbryter" in r.text for r in pair.mentor.inbox)
    assert not any("/contact" in r.text and "Bea" in r.text for r in pair.mentor.inbox)


async def test_contact_waits_for_the_first_organiser_who_joins(h: Harness) -> None:
    """Sent while no organiser had joined: kept, and forwarded to the first one
    who does -- once, in her language; never to the partner."""
    pair = await make_pair(h)
    t = pair.content.t
    ack = await pair.mentee.says(f"/contact {SECRET}")
    assert [r.text for r in ack] == [t("sv", "companion.contact.no_organiser", programme="STEM Up")]
    async with h.core.db.transaction() as s:
        programme = await s.get(Programme, pair.programme_id)
        assert programme is not None
        first = await add_organiser(s, programme, "Olga", h.clock.now(), 30)
        second = await add_organiser(s, programme, "Pia", h.clock.now(), 30)
    olga, pia = h.person("olga"), h.person("pia")
    await join(olga, first.code, "en")
    forwarded = t(
        "en",
        "companion.contact.to_organiser",
        programme="STEM Up",
        name="Bea",
        role=t("en", "roles.mentee"),
        group="Anna & Bea",
        text=SECRET,
    )
    assert [r.text for r in olga.inbox].count(forwarded) == 1
    await join(pia, second.code, "sv")  # it already reached an organiser
    assert not any(SECRET in r.text for r in pia.inbox)
    await h.wait(timedelta(days=1))
    assert [r.text for r in olga.inbox].count(forwarded) == 1
    assert not any(SECRET in r.text for r in pair.mentor.inbox)


async def test_contact_without_text_asks_first_and_can_be_cancelled(h: Harness) -> None:
    pair = await make_pair(h, organiser=True)
    assert pair.organiser is not None
    t = pair.content.t
    asked = await pair.mentee.says("/contact")
    assert asked[0].text == t("sv", "companion.contact.ask")
    await pair.mentee.presses("cmp:cancel")
    assert pair.mentee.last.text == t("sv", "companion.contact.cancelled")
    await pair.mentee.says("Det här var bara ett test")
    assert await pair.organiser_messages() == []
    await h.wait(timedelta(minutes=5))
    await pair.mentee.says("/contact")
    await h.wait(timedelta(minutes=5))
    sent = await pair.mentee.says(SECRET)
    assert [r.text for r in sent] == [t("sv", "companion.contact.sent", programme="STEM Up")]
    assert SECRET in pair.organiser.last.text
    assert [m.text for m in await pair.organiser_messages()] == [SECRET]


async def test_contact_with_no_organiser_in_the_chat_is_kept_and_said_honestly(
    h: Harness,
) -> None:
    pair = await make_pair(h, organiser=False)
    ack = await pair.mentor.says("/contact Bea har inte svarat på tre veckor.")
    assert [r.text for r in ack] == [
        pair.content.t("sv", "companion.contact.no_organiser", programme="STEM Up")
    ]
    assert [m.text for m in await pair.organiser_messages()] == [
        "Bea har inte svarat på tre veckor."
    ]
    assert not any("tre veckor" in r.text for r in pair.mentee.inbox)


async def test_notes_are_readable_only_by_their_writer(h: Harness) -> None:
    pair = await make_pair(h)
    t = pair.content.t
    saved = await pair.mentee.says("/note Jag är osäker på min handledare.")
    assert [r.text for r in saved] == [t("sv", "companion.note.saved")]
    await pair.mentor.says("/note Fråga Bea om konferensen i mars.")
    mine = await pair.mentee.says("/note")
    assert "Jag är osäker på min handledare." in mine[0].text
    assert "konferensen" not in mine[0].text
    theirs = await pair.mentor.says("/note")
    assert "Fråga Bea om konferensen i mars." in theirs[0].text
    assert "min handledare" not in theirs[0].text
    assert not any("min handledare" in r.text for r in pair.mentor.inbox)
    assert not any("konferensen" in r.text for r in pair.mentee.inbox)
    notes = {n.text: n.person_id for n in await pair.all_notes()}
    assert notes == {
        "Jag är osäker på min handledare.": await pair.person_id(pair.mentee),
        "Fråga Bea om konferensen i mars.": await pair.person_id(pair.mentor),
    }


async def test_a_note_can_be_typed_after_the_button_and_the_list_shows_the_latest(
    h: Harness,
) -> None:
    pair = await make_pair(h)
    t = pair.content.t
    empty = await pair.mentee.says("/note")
    assert empty[0].text == t("sv", "companion.note.empty")
    for n in range(10):
        await h.wait(timedelta(minutes=1))
        await pair.mentee.says(f"/note Tanke nummer {n}")
    await pair.mentee.presses("cmp:note")
    assert pair.mentee.last.text == t("sv", "companion.note.ask")
    await pair.mentee.says("En sista tanke")
    listing = (await pair.mentee.says("/note"))[0].text
    assert t("sv", "companion.note.more", shown=8, count=11) in listing
    assert "Tanke nummer 2" not in listing and "Tanke nummer 3" in listing
    assert listing.rstrip().endswith("En sista tanke")


async def test_agenda_lists_open_points_and_asks_for_more_until_done(h: Harness) -> None:
    pair = await make_pair(h)
    t = pair.content.t
    first = await pair.mentee.says("/agenda")
    assert first[0].text == t("sv", "companion.agenda.empty") + "\n\n" + t(
        "sv", "companion.agenda.ask", names="Anna"
    )
    await h.wait(timedelta(minutes=1))
    added = await pair.mentee.says("Söka postdoc utomlands?")
    assert added[0].text.startswith(t("sv", "companion.agenda.added_more"))
    assert t("sv", "companion.agenda.item_by", text="Söka postdoc utomlands?", name="Bea") in (
        added[0].text
    )
    await pair.mentee.says("Balansen mellan jobb och familj")
    await pair.mentee.presses("cmp:done")
    assert pair.mentee.last.text == t("sv", "companion.agenda.done", names="Anna")
    await pair.mentee.says("Det här är bara prat")  # not a point any more
    listing = (await pair.mentor.says("/agenda"))[0].text
    assert "Söka postdoc utomlands?" in listing and "Balansen mellan jobb och familj" in listing
    assert "bara prat" not in listing


async def test_resources_lists_the_guides_toolbox_in_both_languages(h: Harness) -> None:
    pair = await make_pair(h, mentor_lang="en")
    sv = (await pair.mentee.says("/resources"))[0].text
    en = (await pair.mentor.says("/resources"))[0].text
    for resource in pair.content.resources.resources:
        assert f"{resource.sv}\n  {resource.url}" in sv
        assert f"{resource.en}\n  {resource.url}" in en
    assert "https://women-stem-up.eu/mentoring/" in sv
    assert sv.startswith(pair.content.t("sv", "companion.resources.intro"))
    assert en.startswith(pair.content.t("en", "companion.resources.intro"))


async def test_the_mentee_gets_a_fresh_preparation_prompt_before_each_meeting(
    h: Harness,
) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    prompts = {p.text("sv"): p.id for p in pair.content.prompts.mentee_prep}
    seen: list[str] = []
    for start in (FIRST, SECOND, THIRD):
        mark = pair.mark()
        await h.wait(start - timedelta(hours=47) - h.clock.now())
        preps = [
            s
            for s in pair.delivered(pair.mentee, mark)
            if any(c.id.startswith("cmp:agenda:") for c in s.reply.choices)
        ]
        assert [s.at for s in preps] == [start - timedelta(hours=48)]
        seen += [pid for body, pid in prompts.items() if body in preps[0].reply.text]
    assert len(seen) == 3 and len(set(seen)) == 3
    # The mentor never gets the mentee's preparation.
    assert not any(body in r.text for r in pair.mentor.inbox for body in prompts)


async def test_the_preparation_button_adds_a_point_the_mentor_then_sees(h: Harness) -> None:
    pair = await make_pair(h)
    await book_monthly(pair)
    await h.wait(FIRST - timedelta(hours=47) - h.clock.now())
    await pair.mentee.presses(latest_choice(pair.mentee, "cmp:agenda:"))
    await pair.mentee.says("Hur säger jag nej till fler uppdrag?")
    await h.wait(timedelta(hours=24))
    nudge = pair.mentor.last.text
    assert (
        pair.content.t(
            "sv", "coaching.nudge.agenda_item", text="Hur säger jag nej till fler uppdrag?"
        )
        in nudge
    )


async def test_english_companion(h: Harness) -> None:
    pair = await make_pair(h, mentee_lang="en", organiser=True)
    t = pair.content.t
    assert (await pair.mentee.says("/note Feeling stuck"))[0].text == t(
        "en", "companion.note.saved"
    )
    ack = await pair.mentee.says("/contact I'd like a different mentor")
    assert ack[0].text == t("en", "companion.contact.sent", programme="STEM Up")
    assert pair.organiser is not None and "I'd like a different mentor" in pair.organiser.last.text
    assert pair.organiser.last.text.startswith("Förtroligt meddelande")  # Olga reads Swedish
    asked = await pair.mentee.says("/agenda")
    assert asked[0].text.endswith(t("en", "companion.agenda.ask", names="Anna"))


async def test_companion_commands_need_a_private_chat_and_a_programme(h: Harness) -> None:
    stranger = h.person("zoe")
    t = h.core.content.t
    assert (await stranger.says("/agenda Något"))[0].text == t("sv", "companion.no_group")
    assert (await stranger.says("/contact Hej"))[0].text == t(
        "sv", "companion.contact.no_programme"
    )
    in_group = await stranger.says("/note hemligt", group="g-1")
    assert "hemligt" not in in_group[0].text
    assert in_group[0].text == t("sv", "basics.dm_only", command="note")


async def test_an_organiser_who_is_also_the_partner_is_left_out(h: Harness) -> None:
    pair = await make_pair(h, organiser=True)
    assert pair.organiser is not None
    mentor_id = await pair.person_id(pair.mentor)
    async with h.core.db.transaction() as s:
        s.add(
            Member(
                programme_id=pair.programme_id, person_id=mentor_id, name="Anna", role="organiser"
            )
        )
    await pair.mentee.says(f"/contact {SECRET}")
    assert SECRET in pair.organiser.last.text
    assert not any("avbryter" in r.text for r in pair.mentor.inbox)
