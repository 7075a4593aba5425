"""One term per concept: the glossary in ``bot/content_data/README.md`` is binding.

The Swedish reader of issue 19 met "arrangörerna" next to "organisatörerna",
"återkoppling" next to "feedback", "dagordning" next to "agenda" and
"mentorsavtal" next to "mentorsöverenskommelse".  The glossary picks one word
each; this test keeps the others out of every shipped sentence.
"""

from __future__ import annotations

import re

import pytest

from bot.config import DEFAULT_CONTENT_DIR

#: words the glossary replaced, per language, with the term it chose
AVOIDED = {
    "sv": {
        "arrangör": "organisatör",
        "återkoppling": "feedback",
        "dagordning": "agenda",
        "mentorsavtal": "mentorsöverenskommelse",
        "mentorskontrakt": "mentorsöverenskommelse",
    },
    "en": {
        "organizer": "organiser",
        "mentoring contract": "mentoring agreement",
    },
}


def _sentences(lang: str) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in sorted((DEFAULT_CONTENT_DIR / lang).rglob("*.yaml"))
    )


def avoided_terms(text: str, lang: str) -> dict[str, str]:
    """The replaced words ``text`` still uses, each with the glossary's term."""
    folded = text.casefold()
    return {w: chosen for w, chosen in AVOIDED[lang].items() if re.search(rf"\b{w}", folded)}


@pytest.mark.parametrize("lang", sorted(AVOIDED))
def test_content_uses_the_glossarys_term_only(lang: str) -> None:
    found = avoided_terms(_sentences(lang), lang)
    assert found == {}, f"use the glossary's term instead: {found}"


def test_the_glossary_names_the_chosen_terms() -> None:
    glossary = (DEFAULT_CONTENT_DIR / "README.md").read_text(encoding="utf-8")
    for lang in AVOIDED:
        for chosen in AVOIDED[lang].values():
            stem = chosen.split()[-1] if lang == "en" else chosen.removeprefix("mentors")
            assert stem in glossary, chosen


def test_the_check_catches_a_planted_synonym() -> None:
    assert avoided_terms("Fråga Arrangörerna om du undrar något.", "sv") == {
        "arrangör": "organisatör"
    }
    assert avoided_terms("Ask the organizers.", "en") == {"organizer": "organiser"}
    assert avoided_terms("Fråga organisatörerna; ge feedback.", "sv") == {}
