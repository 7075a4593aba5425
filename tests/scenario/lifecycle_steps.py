"""Shared steps for the programme-lifecycle scenarios (issue 17), in Swedish or English."""

from __future__ import annotations

import json

from tests.console_harness import Console

PROGRAMME = (
    '$ program create --name "STEM Up" --slug stemup --goal "Stötta kvinnor i STEM" '
    "--start 2026-12-01 --end 2027-06-01 --format mixed --organiser Olga"
)

JOIN = {
    "sv": "@{who} /start {{code:{name}}}\n@{who} [Svenska]\n@{who} [Ja]\n@{who} [Förstått]\n"
    "@{who} [Ja]\n",
    "en": "@{who} /start {{code:{name}}}\n@{who} [English]\n@{who} [Yes]\n@{who} [Got it]\n"
    "@{who} [Yes]\n",
}

#: the first agreement item settled by both, then the rhythm proposed by both and agreed
WORDS = {
    "sv": {"agree": "Vi är överens", "fine": "Det funkar"},
    "en": {"agree": "We agree", "fine": "That works"},
}


async def join(console: Console, name: str, lang: str) -> list[str]:
    return await console.run(JOIN[lang].format(who=name.lower(), name=name))


async def programme_with_pair(
    console: Console, lang: str, mentor: str = "Anna", mentee: str = "Bea"
) -> list[str]:
    out = await console.run(PROGRAMME + f"\n$ pair create --program stemup --mentor {mentor} "
                            f"--mentee {mentee}")  # fmt: skip
    out += await join(console, "Olga", lang)
    out += await join(console, mentor, lang)
    out += await join(console, mentee, lang)
    return out


async def pair_list(console: Console) -> list[dict[str, object]]:
    out = await console.run("$ pair list --program stemup --json")
    start = next(i for i, line in enumerate(out) if line.startswith("{"))
    pairs: list[dict[str, object]] = json.loads("\n".join(out[start:]))["pairs"]
    return pairs


def said(console: Console, who: str, out: list[str]) -> str:
    """Everything ``who`` was sent within ``out`` (whole messages, continuation lines too)."""
    texts, mine = [], False
    for line in out:
        if line.startswith("→ "):
            mine = line.startswith(f"→ {who}:") or line.startswith(f"→ {who} (")
        elif line.startswith(("@", "$", "wait ")):
            mine = False
        if mine:
            texts.append(line)
    return "\n".join(texts)


def agree_and_book(mentor: str, mentee: str, when: str, *, goal: str = "Finish the thesis") -> str:
    """The first agreement items, a rhythm (biweekly vs monthly -> a compromise), and the
    first meeting booked at ``when`` — by button number, so it runs in either language."""
    a, b = mentor.lower(), mentee.lower()
    presses = [
        (a, "[1]"), (b, "[1]"), (b, "[3]"), (b, "[6]"), (b, goal), (b, "[2]"), (b, "[1]"),
        (b, "[2]"), (b, "[3]"), (b, "[1]"), (b, "tuesdays"),
        (a, "[1]"), (a, "[1]"), (a, "[1]"), (a, "[3]"), (a, "[4]"), (a, "[1]"), (a, "[1]"),
        (a, "[1]"), (b, "[1]"), (b, when), (a, "[1]"),
    ]  # fmt: skip
    return "\n".join(f"@{who} {what}" for who, what in presses)
