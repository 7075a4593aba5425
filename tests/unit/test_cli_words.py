"""The command line's counts agree with their number in both languages (issue 19)."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.content import load_content
from bot.wording import counted, english_noun, plural

EXPECTED = {
    "en": {
        "imported_groups": ["imported 0 groups", "imported 1 group ", "imported 2 groups"],
        "imported_applications": [
            "imported 0 applications",
            "imported 1 application ",
            "imported 2 applications",
        ],
        "nothing_imported": ["(0 errors)", "(1 error)", "(2 errors)"],
        "approved_groups": ["approved 0 groups", "approved 1 group", "approved 2 groups"],
    },
    "sv": {
        "imported_groups": [
            "importerade 0 grupper",
            "importerade 1 grupp ",
            "importerade 2 grupper",
        ],
        "imported_applications": [
            "importerade 0 ansökningar",
            "importerade 1 ansökan ",
            "importerade 2 ansökningar",
        ],
        "nothing_imported": ["(0 fel)", "(1 fel)", "(2 fel)"],
        "approved_groups": ["godkände 0 grupper", "godkände 1 grupp", "godkände 2 grupper"],
    },
}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_zero_one_and_two(lang: str) -> None:
    content = load_content(load_settings().content_dir)
    for key, forms in EXPECTED[lang].items():
        for n, expected in enumerate(forms):
            text = plural(content, lang, f"organiser.cli.{key}", n, file="roster.csv")
            assert expected in text, (key, n, text)
            if lang == "en" and n == 1:
                assert "s " not in text.split(" from ")[0] + " ", text  # no "1 groups"


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "0 problems"), (1, "1 problem"), (2, "2 problems")]
)
def test_operator_lines_count_without_content(n: int, expected: str) -> None:
    """Lines printed when content itself may be broken still agree with their number."""
    assert counted(n, "problem", "problems") == expected
    assert english_noun(n, "column", "columns") == expected.split()[1].replace("problem", "column")
