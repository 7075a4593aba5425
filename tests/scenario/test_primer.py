"""The mentor primer (issue 19, behaviour 5): a mentor who joins is offered a
short tour of the guide's eight sections, one message per press of "next";
mentees are not offered it, ``/guide`` starts it for anyone, and
``/resources`` names the guide itself."""

from __future__ import annotations

import pytest

from tests.harness import Harness
from tests.meeting_steps import make_pair

LABELS = {
    "sv": ("Ja, visa mig", "Inte nu", "Nästa", "av"),
    "en": ("Yes, show me", "Not now", "Next", "of"),
}
FIRST_LINES = {
    "sv": [
        "Vad mentorskap är",
        "Egenskaper som gör skillnad",
        "Tydliga förväntningar",
        "Matchningen",
        "Tiden och ramarna",
        "En och en eller i grupp",
        "Online eller på plats",
        "Vad du själv får ut",
    ],
    "en": [
        "What mentoring is",
        "Qualities that make a difference",
        "Clear expectations",
        "The match",
        "Time and the programme's frame",
        "One to one or in a group",
        "Online or in person",
        "What you gain",
    ],
}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_new_mentor_can_take_the_tour_one_section_at_a_time(h: Harness, lang: str) -> None:
    pair = await make_pair(h, mentor_lang=lang, mentee_lang="en" if lang == "sv" else "sv")
    anna, bea = pair.people
    _start, _later, next_, of = LABELS[lang]
    offer_text = h.core.content.t(lang, "primer.offer")
    offers = [r for r in anna.inbox if r.text == offer_text]
    assert len(offers) == 1
    assert "/guide" in offers[0].text
    assert not any(c.id.startswith("gde:") for r in bea.inbox for c in r.choices)
    # Anna joined first; the offer was the newest question until Bea joined and
    # the agreement's first item arrived: an offer gives way to the next question
    # (issue 20), so its buttons are gone and /guide starts the tour.
    assert offers[0].choices == ()
    await anna.says("/guide")
    pages = [anna.last]
    for _ in range(7):
        assert [c.label for c in anna.last.choices] == [next_]
        await anna.presses(anna.last.choices[0].id)
        pages.append(anna.last)
    for number, (page, title) in enumerate(zip(pages, FIRST_LINES[lang], strict=True), 1):
        assert page.text.startswith(f"{number} {of} 8 · {title}\n"), page.text
        assert len(page.text) > 250  # a real section, not a heading
    assert pages[-1].choices == ()
    assert pages[-1].text.endswith(h.core.content.t(lang, "primer.done"))
    assert len({p.text for p in pages}) == 8


async def test_not_now_and_the_guide_command(h: Harness) -> None:
    pair = await make_pair(h)
    anna, bea = pair.people
    assert any(r.text.startswith("Vill du ha en kort rundtur") for r in anna.inbox)
    # the offer's buttons went when the agreement began; a client that missed the
    # edit may still press one, and the flow answers from the state
    await anna.presses("gde:later")
    assert anna.last.text == "Absolut! Skriv /guide när du vill ta rundturen."
    await bea.says("/guide")
    assert bea.last.text.startswith("1 av 8 · Vad mentorskap är\n")
    assert [c.id for c in bea.last.choices] == ["gde:2"]
    await bea.presses("gde:99")
    assert bea.last.text == h.core.content.t("sv", "basics.stale_button")


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_resources_names_the_guide_and_its_tour(h: Harness, lang: str) -> None:
    pair = await make_pair(h, mentee_lang=lang)
    text = (await pair.mentee.says("/resources"))[0].text
    first = text.split("\n")[0]
    assert "Women STEM UP" in first and "/guide" in first
    assert "https://women-stem-up.eu/mentoring/" in first
