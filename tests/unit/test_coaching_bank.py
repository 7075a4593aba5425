"""The coaching bank and the coaching/companion strings pass the content check, and
the check really catches what would make the nudges go wrong (issue 7).

Each breaking test edits a copy of ``content/`` and asserts the exact problem
``check_content`` (what ``mentorbot content check`` runs) reports.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import DEFAULT_CONTENT_DIR
from bot.content import (
    MIN_QUESTIONS_PER_NEED_AND_PHASE,
    NEEDS,
    PHASES,
    PURPOSES,
    check_content,
    load_content,
)

REAL_NEEDS = ("career", "emotional", "practical", "profile")


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target


def edit_bank(content: Path, change: Any) -> None:
    path = content / "coaching.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def problems(content: Path) -> set[tuple[str, str]]:
    return {(p.file, p.key) for p in check_content(content)}


# -- the shipped bank ---------------------------------------------------------------
def test_shipped_bank_is_valid_and_big_enough() -> None:
    assert [p for p in check_content(DEFAULT_CONTENT_DIR) if "coaching" in p.file] == []
    bank = load_content(DEFAULT_CONTENT_DIR).coaching
    assert len(bank.questions) >= 60
    for q in bank.questions:
        assert set(q.needs) <= {*NEEDS, "any"} and q.needs
        assert set(q.phase) <= set(PHASES) and q.phase
        assert q.purpose in PURPOSES
        assert q.sv.strip() and q.en.strip() and q.sv != q.en
        assert q.sv.rstrip().endswith("?") and q.en.rstrip().endswith("?"), q.id
    ids = [q.id for q in bank.questions] + [t.id for t in bank.tips]
    assert len(ids) == len(set(ids))


def test_every_need_has_enough_questions_in_every_phase_and_every_purpose_appears() -> None:
    bank = load_content(DEFAULT_CONTENT_DIR).coaching
    for need in REAL_NEEDS:
        for phase in PHASES:
            fitting = [q for q in bank.questions if q.fits(need) and phase in q.phase]
            assert len(fitting) >= MIN_QUESTIONS_PER_NEED_AND_PHASE, (need, phase)
            # the nudge prefers questions written for the need: there must be some
            assert any(need in q.needs for q in fitting), (need, phase)
    for phase in PHASES:
        for purpose in PURPOSES:
            assert any(q.purpose == purpose and phase in q.phase for q in bank.questions)


def test_tips_cover_the_guides_qualities_in_every_phase() -> None:
    bank = load_content(DEFAULT_CONTENT_DIR).coaching
    qualities = {t.quality for t in bank.tips}
    assert {
        "empathy",
        "inclusive",
        "relatable",
        "proactive",
        "resources",
        "intersectionality",
    } <= qualities
    for phase in PHASES:
        assert sum(phase in t.phase for t in bank.tips) >= 3, phase


def test_prompt_banks_used_by_the_nudges_are_complete() -> None:
    prompts = load_content(DEFAULT_CONTENT_DIR).prompts
    assert len(prompts.icebreakers) >= 3 and len(prompts.online_bonding) >= 3
    assert len(prompts.mentee_prep) >= 6 and len(prompts.mentor_reflection) >= 6


def test_coaching_and_companion_strings_exist_in_both_languages() -> None:
    loaded = load_content(DEFAULT_CONTENT_DIR)
    for prefix in ("coaching.", "companion."):
        sv = {k for k in loaded.strings["sv"] if k.startswith(prefix)}
        en = {k for k in loaded.strings["en"] if k.startswith(prefix)}
        assert sv == en and len(sv) > 10
    for command in ("agenda", "note", "resources", "contact"):
        assert loaded.has(f"commands.{command}")


# -- the check catches a broken copy ------------------------------------------------
def test_an_unknown_need_tag_is_reported_with_the_question_id(content: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["questions"][0]["needs"] = ["carreer"]

    edit_bank(content, change)
    first = yaml.safe_load((DEFAULT_CONTENT_DIR / "coaching.yaml").read_text())["questions"][0]
    assert ("coaching.yaml", f"questions[{first['id']}].needs[0]") in problems(content)


def test_an_unknown_phase_or_purpose_is_reported(content: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["questions"][1]["phase"] = ["beginning"]
        data["questions"][2]["purpose"] = "grow"

    edit_bank(content, change)
    bank = yaml.safe_load((DEFAULT_CONTENT_DIR / "coaching.yaml").read_text())["questions"]
    found = problems(content)
    assert ("coaching.yaml", f"questions[{bank[1]['id']}].phase[0]") in found
    assert ("coaching.yaml", f"questions[{bank[2]['id']}].purpose") in found


def test_a_question_without_english_breaks_parity(content: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        del data["questions"][3]["en"]

    edit_bank(content, change)
    qid = yaml.safe_load((DEFAULT_CONTENT_DIR / "coaching.yaml").read_text())["questions"][3]["id"]
    assert ("coaching.yaml", f"questions[{qid}].en") in problems(content)


def test_an_empty_swedish_text_is_reported(content: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["tips"][0]["sv"] = ""

    edit_bank(content, change)
    tid = yaml.safe_load((DEFAULT_CONTENT_DIR / "coaching.yaml").read_text())["tips"][0]["id"]
    assert ("coaching.yaml", f"tips[{tid}].sv") in problems(content)


@pytest.mark.parametrize("need", REAL_NEEDS)
def test_too_few_questions_for_a_need_and_phase_is_reported(content: Path, need: str) -> None:
    def change(data: dict[str, Any]) -> None:
        data["questions"] = [
            q for q in data["questions"] if not (need in q["needs"] and "end" in q["phase"])
        ]

    edit_bank(content, change)
    found = check_content(content)
    assert [(p.file, p.key) for p in found] == [
        ("coaching.yaml", f"questions[needs={need},phase=end]")
    ]
    assert f"at least {MIN_QUESTIONS_PER_NEED_AND_PHASE}" in found[0].message


def test_a_phase_without_a_purpose_is_reported(content: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["questions"] = [
            q
            for q in data["questions"]
            if not (q["purpose"] == "reflection" and "middle" in q["phase"])
        ]

    edit_bank(content, change)
    assert ("coaching.yaml", "questions[phase=middle,purpose=reflection]") in problems(content)


def test_fewer_than_sixty_questions_is_reported(content: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["questions"] = data["questions"][:59]

    edit_bank(content, change)
    assert ("coaching.yaml", "questions") in problems(content)


def test_a_duplicate_question_id_is_reported(content: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["questions"][5]["id"] = data["questions"][4]["id"]

    edit_bank(content, change)
    assert ("coaching.yaml", "questions[5].id") in problems(content)


def test_a_missing_or_mismatched_companion_string_is_reported(content: Path) -> None:
    en = content / "en" / "companion.yaml"
    en.write_text(
        en.read_text(encoding="utf-8")
        .replace('  saved: "Saved in your journal', '  saved_x: "Saved in your journal')
        .replace("The agenda already has {count} points", "The agenda already has {n} points"),
        encoding="utf-8",
    )
    sv = content / "sv" / "coaching.yaml"
    sv.write_text(sv.read_text(encoding="utf-8").replace(r"{question}”\nVad", r"”\nVad"), "utf-8")
    found = {(p.file, p.key, p.message.split(":")[0]) for p in check_content(content)}
    assert ("en/companion.yaml", "companion.note.saved", "missing in en") in found
    assert ("sv/companion.yaml", "companion.note.saved_x", "missing in sv") in found
    assert ("en/companion.yaml", "companion.agenda.full", "placeholders differ") in found
    assert ("en/coaching.yaml", "coaching.nudge.question", "placeholders differ") in found
