"""Issue 20: one live question at a time, buttons that disappear when answered.

Each test retraces one defect the journey found, through the console on the
real core: the console transcript prints ``→ name (buttons removed): …`` when
the core edits a message's buttons away, and its transport remembers which
messages still show live buttons.
"""

from __future__ import annotations

import itertools

import pytest

from bot.core.types import Actor, Address, ChoiceIn
from tests.console_harness import Console
from tests.pair_steps import AGREE_AND_BOOK, PROGRAMME, SETUP

TO_RHYTHM_AGREED = AGREE_AND_BOOK.split("@bea nästa tisdag kl 15")[0]
JOIN = "@{w} /start {{code:{n}}}\n@{w} [Svenska]\n@{w} [Ja]\n@{w} [Förstått]\n@{w} [Ja]\n"


def live_texts(console: Console, name: str) -> list[str]:
    """First lines of the messages to ``name`` that still show live buttons."""
    return [
        s.reply.text.splitlines()[0]
        for s in console.session.transport.shown
        if s.chat == name and s.live
    ]


def questions_to(console: Console, name: str) -> list[str]:
    """Every question (a message with buttons) sent to ``name``, in order."""
    return [
        f"{o.reply.text} {[c.label for c in o.reply.choices]}"
        for o in console.session.transport.log
        if o.address.chat_id == name and o.reply.choices and o.reply.clears is None
    ]


async def test_the_current_item_is_never_sent_twice_and_only_its_newest_copy_is_live(
    console: Console,
) -> None:
    """ "4/10 · Roller", "Hur ofta vill du ses?" and "6/10" (now "6/14") were sent twice,
    the older copy's button then answering "expired"."""
    transcript = await console.run(SETUP + TO_RHYTHM_AGREED)
    for name in ("anna", "bea"):
        asked = questions_to(console, name)
        assert asked, name
        assert all(a != b for a, b in itertools.pairwise(asked)), name
        # the agreement's current item and the booking prompt's menu: one live each
        live = live_texts(console, name)
        assert [t for t in live if "/14 · " in t] == ["6/14 · Upplägg och mötesform"], live
        assert len(live) == len(set(live)), live
    # Bea's 6/10 came before the rhythm was agreed and again after it: the first
    # copy lost its buttons, so only the newest one can be pressed
    assert "→ bea (buttons removed): 6/14 · Upplägg och mötesform" in transcript


async def test_the_consent_question_loses_both_buttons_once_answered(console: Console) -> None:
    """The consent message kept "Nej" after "Ja" was pressed."""
    await console.run(PROGRAMME + "\n$ pair create --program stemup --mentor Anna --mentee Bea")
    out = await console.run(JOIN.format(w="anna", n="Anna"))
    assert "→ anna (buttons removed): Innan vi börjar – så här hanterar jag dina uppgifter:" in out
    assert not any("Innan vi börjar" in t for t in live_texts(console, "anna"))
    pressed = await console.run("@anna [Nej]")
    assert "   (no button [Nej] for anna)" in pressed


async def test_the_draft_continue_and_the_goal_buttons_go_once_pressed(console: Console) -> None:
    """The agreement draft's "Fortsätt" and the goals' "Skriv ett mål/Klar" stayed."""
    await console.run(SETUP)
    out = await console.run("@anna /agreement\n@anna [Fortsätt]")
    assert any(line.startswith("→ anna (buttons removed): Utkast till") for line in out), out
    assert not any(t.startswith("Utkast") for t in live_texts(console, "anna"))
    out = await console.run(
        "@bea [Vi är överens]\n@bea [Karriär]\n@bea [Klar]\n@bea Disputera inom två år\n@bea [Klar]"
    )
    assert "→ bea (buttons removed): Sparat (1 av 3). Skriv ett mål till, eller tryck Klar." in out
    assert not any(t.startswith("Sparat") for t in live_texts(console, "bea"))
    again = await console.run('@bea [Klar] in "Sparat"')
    assert '   (no button [Klar] in "Sparat" for bea)' in again


@pytest.mark.parametrize(
    "forged",
    [
        "agr:999999999999999999999999999:roles:agree",
        "mtg:999999999999999999999999999:accept",
        "rhy:999999999999999999999999999:accept:00000000",
    ],
)
async def test_huge_numbers_in_button_ids_get_the_expired_answer(
    console: Console, forged: str
) -> None:
    """They ended in "something went wrong" (an integer overflow inside)."""
    await console.run(SETUP)
    bea = Actor("console", "bea", "Bea", None, "bea")
    replies = await console.core.handle(
        ChoiceIn(bea, Address("console", "bea", None, "dm"), forged)
    )
    said = " ".join(o.reply.text for o in replies)
    assert "gick fel" not in said, said
    assert said.startswith("Den knappen gäller inte längre."), said
