"""The agreement items a coordinator expects (issue 19, behaviour 4): a
no-fault exit, channel and hours, boundaries, notice for cancelling, the
mentor's own goals, and confidentiality with its limits and where to get help."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.agreement_steps import ITEMS, MENTEE, MENTOR, Pairing
from tests.harness import Harness
from tests.meeting_steps import make_pair

TITLES = {
    "sv": [
        "Kontakt mellan mötena: kanal och tider",
        "Gränser",
        "Att ställa in ett möte",
        "Mentorns egna mål",
        "Om det inte fungerar",
        "Sekretess",
    ],
    "en": [
        "Contact between meetings: channel and hours",
        "Boundaries",
        "Cancelling a meeting",
        "The mentor's own goals",
        "If it doesn't work out",
        "Confidentiality",
    ],
}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_the_agreement_has_the_items_a_coordinator_expects(h: Harness, lang: str) -> None:
    pair = await make_pair(h, mentor_lang=lang, mentee_lang=lang)
    content = h.core.content
    ids = [i.id for i in content.agreement.items if not i.circles_only]
    assert len(ids) == 14
    for new in ("boundaries", "cancelling", "mentor_goals", "ending"):
        assert new in ids
    text = "\n".join(r.text for r in await pair.mentor.says("/agreement"))
    for title in TITLES[lang]:
        assert title in text, title
    assert "14" in text
    confidentiality = next(i for i in content.agreement.items if i.id == "confidentiality")
    words = confidentiality.text(lang)
    assert "/contact" in words and "{support}" in words
    assert "112" in content.t(lang, "agreement.support_links")
    assert "{support}" not in text
    ending = next(i for i in content.agreement.items if i.id == "ending").text(lang)
    assert ("utan skuld" if lang == "sv" else "without blame") in ending


# -- the walk, in each language -----------------------------------------------------
#: what each new item must say, in the words a pair reads (per language)
SAYS = {
    "sv": {
        "confidentiality": [
            "Gränsen: om någon riskerar att skadas",
            "säger vi till och tar hjälp",
            "nås förtroligt med /contact",
        ],
        "contact": ["här i chatten", "helst vardagar mellan 9 och 18", "inom ett par dagar"],
        "boundaries": ["säga nej till ett ämne eller en fråga utan att förklara sig"],
        "cancelling": ["minst ett dygn före", "/reschedule eller /cancel"],
        "mentor_goals": ["Mentorn berättar vad hen själv vill utveckla"],
        "ending": ["utan skuld och utan att behöva förklara sig", "(/contact)"],
    },
    "en": {
        "confidentiality": [
            "The limit: if someone is at risk of harm",
            "we speak up and get help",
            "reached in confidence with /contact",
        ],
        "contact": ["here in the chat", "weekdays between 9 and 6", "within a couple of days"],
        "boundaries": ["decline a topic or a question without explaining why"],
        "cancelling": ["at least a day ahead", "/reschedule or /cancel"],
        "mentor_goals": ["The mentor shares what they would like to develop"],
        "ending": ["without blame and without having to explain", "(/contact)"],
    },
}
MENTOR_GOALS = {
    "sv": "Anna vill bli tryggare i att coacha i stället för att ge råd.",
    "en": "Anna wants to grow more confident coaching rather than giving advice.",
}
FILENAME = {"sv": "overenskommelse-v1.txt", "en": "agreement-v1.txt"}


@pytest.fixture(params=["sv", "en"])
async def p(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Pairing]:
    pairing = await Pairing.open(tmp_path, request.param)
    yield pairing
    await pairing.close()


def shown(p: Pairing, who: str, item: str) -> str:
    """The first message that asked ``who`` about ``item`` ("n/14 · title")."""
    head = f"{ITEMS.index(item) + 1}/{len(ITEMS)} · {p.title(item)}\n"
    return next(r.text for r in p.inbox(who) if head in r.text and r.choices)


async def test_a_pair_walks_the_new_items_and_the_mentor_writes_own_goals(p: Pairing) -> None:
    await p.create()
    await p.mentee_fills_in()
    await p.mentor_confirms()
    await p.accept_rhythm(MENTOR)
    await p.accept_rhythm(MENTEE)
    # Anna writes her own goals into item 13 with "Change"; Bea sees them when she gets there
    await p.agree_until(MENTOR, stop="mentor_goals")
    await p.press(MENTOR, p.t("agreement.buttons.change"))
    await p.says(MENTOR, MENTOR_GOALS[p.lang])
    await p.agree_until(MENTOR)
    await p.agree_until(MENTEE)
    assert (await p.agreement()).status == "complete"

    # each item as first shown (to Anna, before her change), with its buttons
    for item, phrases in SAYS[p.lang].items():
        text = shown(p, MENTOR, item)
        for phrase in phrases:
            assert phrase in text, (item, phrase)
    # confidentiality ends with where to get help: the content's place for the programme's links
    confidentiality = shown(p, MENTEE, "confidentiality")
    assert p.t("agreement.support_links") in confidentiality
    assert "{" not in confidentiality
    # Bea is asked about the mentor's goals in Anna's words, not the placeholder
    goals = shown(p, MENTEE, "mentor_goals")
    assert MENTOR_GOALS[p.lang] in goals
    assert SAYS[p.lang]["mentor_goals"][0] not in goals

    # the agreed document: all 14 items agreed, the mentor's goals in their own words
    for who in (MENTOR, MENTEE):
        doc = p.files(who)[FILENAME[p.lang]].splitlines()
        for number, item in enumerate(ITEMS, start=1):
            assert f"{number}. ✓ {p.title(item)}" in doc, (who, item)
        goals_at = doc.index(f"{ITEMS.index('mentor_goals') + 1}. ✓ {p.title('mentor_goals')}")
        assert doc[goals_at + 1].strip() == MENTOR_GOALS[p.lang]
        body = "\n".join(doc)
        assert p.t("agreement.support_links") in body
        for item in ("boundaries", "cancelling", "ending"):
            assert all(phrase in body for phrase in SAYS[p.lang][item]), item
