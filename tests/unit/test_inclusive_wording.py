"""Content speaks of participants without gender, and numbers, lists and dates read naturally."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.config import DEFAULT_CONTENT_DIR
from bot.content import check_content, load_content
from bot.pronoun_check import gendered_words
from bot.wording import (
    frequency_phrase,
    join_names,
    ordinal_number,
    ordinal_word,
    plural,
    prose_date,
)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target


@pytest.fixture(scope="module")
def content():  # type: ignore[no-untyped-def]
    return load_content(DEFAULT_CONTENT_DIR)


def test_shipped_content_genders_no_participant_in_either_language() -> None:
    pronoun_problems = [p for p in check_content(DEFAULT_CONTENT_DIR) if "gendered" in p.message]
    assert pronoun_problems == []


@pytest.mark.parametrize(
    ("lang", "file", "old", "new", "word"),
    [
        (
            "sv",
            "sv/health.yaml",
            "fråga {name} hur mentorskapet fungerar.",
            "fråga {name} hur mentorskapet fungerar för henne.",
            "henne",
        ),
        ("en", "en/basics.yaml", "find their own answers", "find her own answers", "her"),
    ],
)
def test_a_planted_pronoun_is_flagged_with_file_and_key(
    content_dir: Path, lang: str, file: str, old: str, new: str, word: str
) -> None:
    path = content_dir / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    problems = [p for p in check_content(content_dir) if "gendered" in p.message]
    assert len(problems) == 1
    assert problems[0].file == file
    assert f"({word})" in problems[0].message


def test_a_planted_pronoun_in_a_bank_is_flagged(content_dir: Path) -> None:
    path = content_dir / "prompts.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("something they know", "something she knows", 1), "utf-8")
    problems = [p for p in check_content(content_dir) if "gendered" in p.message]
    assert [(p.file, p.key.endswith(".en")) for p in problems] == [("prompts.yaml", True)]


def test_pronoun_words_are_matched_whole_and_neutral_words_pass() -> None:
    assert gendered_words("en", "The other mentee, whether here or there") == []
    assert gendered_words("sv", "Hans och Hanna handlar – hen kommer") == ["Hans"]
    assert gendered_words("en", "She’s ready") == ["She"]
    assert gendered_words("sv", "handledare, hantera, hönan") == []


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        ("sv", 0, "0 överenskommelser klara"),
        ("sv", 1, "1 överenskommelse klar"),
        ("sv", 2, "2 överenskommelser klara"),
        ("en", 0, "0 agreements done"),
        ("en", 1, "1 agreement done"),
        ("en", 2, "2 agreements done"),
    ],
)
def test_plural_forms_agree_with_the_number(content, lang: str, n: int, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert plural(content, lang, "report.count.agreements_complete", n) == expected


def test_lists_are_joined_as_people_write_them() -> None:
    assert join_names("sv", ["Greta", "Hanna", "Ines"]) == "Greta, Hanna och Ines"
    assert join_names("en", ["Greta", "Hanna", "Ines"]) == "Greta, Hanna and Ines"
    assert join_names("sv", ["Anna", "Bea"]) == "Anna och Bea"
    assert join_names("en", ["Anna"]) == "Anna"


def test_dates_in_prose_are_written_out() -> None:
    assert prose_date("sv", date(2027, 6, 1)) == "1 juni 2027"
    assert prose_date("en", date(2027, 6, 1)) == "1 June 2027"


@pytest.mark.parametrize(
    ("lang", "n", "word", "number"),
    [
        ("sv", 1, "första", "1:a"),
        ("sv", 2, "andra", "2:a"),
        ("sv", 3, "tredje", "3:e"),
        ("sv", 10, "tionde", "10:e"),
        ("sv", 11, "elfte", "11:e"),
        ("sv", 12, "tolfte", "12:e"),
        ("sv", 21, "21:a", "21:a"),
        ("sv", 22, "22:a", "22:a"),
        ("sv", 31, "31:a", "31:a"),
        ("en", 1, "first", "1st"),
        ("en", 3, "third", "3rd"),
        ("en", 21, "twenty-first", "21st"),
    ],
)
def test_ordinals(lang: str, n: int, word: str, number: str) -> None:
    assert ordinal_word(lang, n) == word
    assert ordinal_number(lang, n) == number


@pytest.mark.parametrize(
    ("lang", "days", "expected"),
    [
        ("sv", 7, "varje vecka"),
        ("sv", 14, "varannan vecka"),
        ("sv", 21, "var tredje vecka"),
        ("sv", 10, "var tionde dag"),
        ("sv", 45, "var 45:e dag"),
        ("sv", 42, "var sjätte vecka"),
        ("en", 21, "every third week"),
        ("en", 10, "every tenth day"),
        ("en", 30, "once a month"),
    ],
)
def test_rhythms_in_words(content, lang: str, days: int, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert frequency_phrase(content, lang, days) == expected
