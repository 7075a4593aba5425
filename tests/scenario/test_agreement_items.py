"""The agreement items a coordinator expects (issue 19, behaviour 4): a
no-fault exit, channel and hours, boundaries, notice for cancelling, the
mentor's own goals, and confidentiality with its limits and where to get help."""

from __future__ import annotations

import pytest

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
