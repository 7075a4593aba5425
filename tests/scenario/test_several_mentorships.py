"""A mentor with two mentees: every "our mentorship" command asks which (issue 17)."""

from __future__ import annotations

import pytest

from tests.console_harness import Console
from tests.scenario.lifecycle_steps import (
    agree_and_book,
    join,
    pair_list,
    programme_with_pair,
    said,
)

NEXT = {"sv": "nästa tisdag kl 15", "en": "next tuesday at 3pm"}
OTHER = {"sv": "nästa fredag kl 10", "en": "next friday at 10am"}
WITH = {"sv": "Med", "en": "With"}


async def two_mentees(console: Console, lang: str) -> None:
    await programme_with_pair(console, lang)
    await console.run(agree_and_book("Anna", "Bea", NEXT[lang]))
    await console.run("$ pair create --program stemup --mentor Anna --mentee Cilla")
    await join(console, "Anna", lang)
    await join(console, "Cilla", lang)
    await console.run(agree_and_book("Anna", "Cilla", NEXT[lang]))


def asked_which(console: Console, out: list[str], lang: str) -> bool:
    text = said(console, "anna", out)
    return f"[1] {WITH[lang]} Bea" in text and f"[2] {WITH[lang]} Cilla" in text


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_reschedule_asks_which_and_moves_the_right_one(console: Console, lang: str) -> None:
    await two_mentees(console, lang)
    out = await console.run("@anna /reschedule")
    assert asked_which(console, out, lang)
    out = await console.run(f"@anna [{WITH[lang]} Cilla]\n@anna {OTHER[lang]}")
    assert said(console, "cilla", out) != "" and said(console, "bea", out) == ""


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_cancel_pause_next_and_rhythm_ask_which(console: Console, lang: str) -> None:
    await two_mentees(console, lang)
    for command in ("/cancel", "/pause", "/next", "/rhythm", "/agreement", "/leave"):
        out = await console.run(f"@anna {command}")
        assert asked_which(console, out, lang), (command, out)
        assert said(console, "bea", out) == "" and said(console, "cilla", out) == ""
    out = await console.run(f"@anna /cancel\n@anna [{WITH[lang]} Bea]\n@anna [1]")
    assert said(console, "bea", out) != "" and said(console, "cilla", out) == ""
    # a mentee with one mentorship is never asked
    out = await console.run("@cilla /next")
    assert WITH[lang] not in said(console, "cilla", out)


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_pause_the_right_pair(console: Console, lang: str) -> None:
    await two_mentees(console, lang)
    until = "1 februari" if lang == "sv" else "1 February"
    out = await console.run(f"@anna /pause {until}\n@anna [{WITH[lang]} Bea]")
    assert said(console, "bea", out) != "" and said(console, "cilla", out) == ""
    statuses = [p["status"] for p in await pair_list(console)]
    assert statuses == ["paused", "active"]


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_link_asks_which_and_saves_it_for_that_pair_only(console: Console, lang: str) -> None:
    await two_mentees(console, lang)
    room = "https://meet.jit.si/anna-cilla-4711"
    out = await console.run(f"@anna /link {room}")
    assert asked_which(console, out, lang)
    assert room not in said(console, "cilla", out) + said(console, "bea", out)
    out = await console.run(f"@anna [{WITH[lang]} Cilla]")
    assert room in said(console, "anna", out) and room in said(console, "cilla", out)
    assert said(console, "bea", out) == ""
    out = await console.run("@bea /link")  # Bea's pair has none
    assert room not in said(console, "bea", out)
