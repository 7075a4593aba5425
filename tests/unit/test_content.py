"""Content validation names each problem by file and key."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_CONTENT_DIR
from bot.content import ContentError, check_content, load_content


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target


def test_shipped_content_is_complete_and_valid() -> None:
    assert check_content(DEFAULT_CONTENT_DIR) == []
    loaded = load_content(DEFAULT_CONTENT_DIR)
    assert loaded.strings["sv"].keys() == loaded.strings["en"].keys()
    assert len(loaded.coaching.questions) >= 60


def test_missing_translation_names_file_and_key(content: Path) -> None:
    path = content / "en" / "basics.yaml"
    path.write_text(path.read_text().replace('too_long: "', 'too_long_x: "'))
    problems = {(p.file, p.key, p.message) for p in check_content(content)}
    assert ("en/basics.yaml", "basics.too_long", "missing in en") in problems
    assert ("sv/basics.yaml", "basics.too_long_x", "missing in sv") in problems


def test_placeholder_mismatch_is_reported(content: Path) -> None:
    path = content / "en" / "basics.yaml"
    path.write_text(path.read_text().replace("under {limit} characters", "under {max} characters"))
    problems = check_content(content)
    assert [p.key for p in problems] == ["basics.too_long"]
    assert "placeholders differ" in problems[0].message


def test_broken_yaml_names_file_and_line(content: Path) -> None:
    (content / "sv" / "commands.yaml").write_text('start: "unterminated\nhelp: [\n')
    problems = check_content(content)
    assert any(p.file == "sv/commands.yaml" and "not valid YAML" in p.message for p in problems)


def test_bank_errors_name_item_ids(content: Path) -> None:
    path = content / "agreement.yaml"
    text = path.read_text().replace(
        "  - id: roles\n    kind: confirm", "  - id: roles\n    kind: maybe"
    )
    path.write_text(text)
    problems = check_content(content)
    assert any(p.file == "agreement.yaml" and "items[roles].kind" in p.key for p in problems)


def test_choice_id_room_is_checked(content: Path) -> None:
    path = content / "resources.yaml"
    text = path.read_text()
    first_id = text.split("id: ", 1)[1].split(",", 1)[0].split("\n", 1)[0]
    path.write_text(text.replace(first_id, '"' + "x" * 40 + '"', 1))
    problems = check_content(content)
    assert any(p.file == "resources.yaml" and p.key.startswith("resources") for p in problems)


def test_coaching_bank_minimum_per_need_and_phase(content: Path) -> None:
    import yaml

    path = content / "coaching.yaml"
    data = yaml.safe_load(path.read_text())
    data["questions"] = [q for q in data["questions"] if "emotional" not in q["needs"]]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    problems = check_content(content)
    assert any("needs=emotional" in p.key for p in problems)


def test_load_content_raises_with_all_problems(content: Path) -> None:
    (content / "en" / "commands.yaml").unlink()
    with pytest.raises(ContentError) as err:
        load_content(content)
    assert all(p.file == "en/commands.yaml" for p in err.value.problems)
    assert {p.key for p in err.value.problems} >= {"commands.help", "commands.start"}


def test_cli_content_check_and_broken_start_up(content: Path, tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check", "--dir", str(DEFAULT_CONTENT_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and "content OK" in ok.stdout
    (content / "sv" / "basics.yaml").write_text("error: [broken\n")
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check", "--dir", str(content)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1 and "sv/basics.yaml" in bad.stdout
    env = {
        "PATH": "/usr/bin:/bin",
        "MENTORBOT_CONTENT_DIR": str(content),
        "MENTORBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
    }
    script = tmp_path / "s.txt"
    script.write_text("@anna /start\n")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--script", str(script)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert run.returncode == 2
    assert "content error" in run.stderr and "sv/basics.yaml" in run.stderr
    assert "Traceback" not in run.stderr
