"""The parsed-content cache: a hit gives what parsing gives, an edit misses.

Start-up loads the content through it.  The parsing is cached per file; the
checks (tests/unit/test_content.py covers those) run on every load except one
of exactly the files of the last load that found no problem.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_CONTENT_DIR
from bot.content import PARSER, ContentError, load_content
from bot.content_cache import CACHE_FILE, ParsedFiles


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "mentorbot" / CACHE_FILE


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target


def _parsed_from_cache(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Make every real parse visible: the files that were not cache hits."""
    misses: list[bytes] = []
    original = ParsedFiles.parse

    def spy(self: ParsedFiles, raw: bytes, parse):  # type: ignore[no-untyped-def]
        def counted(data: bytes):  # type: ignore[no-untyped-def]
            misses.append(data)
            return parse(data)

        return original(self, raw, counted)

    monkeypatch.setattr(ParsedFiles, "parse", spy)
    return misses


def test_second_load_comes_from_the_cache_and_equals_a_fresh_parse(
    cache: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    misses = _parsed_from_cache(monkeypatch)
    first = load_content(content)
    files = len(misses)
    assert files > 40 and cache.is_file()
    second = load_content(content)
    assert len(misses) == files  # nothing parsed again
    assert second.strings == first.strings
    assert second.coaching == first.coaching and second.agreement == first.agreement


def test_an_edit_of_the_same_size_is_seen(
    cache: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_content(content)
    path = content / "en" / "basics.yaml"
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    key, old = next(
        (k, v)
        for k, v in load_content(content).strings["en"].items()
        if k.startswith("basics.") and "\n" not in v and v in text
    )
    changed = old[:-1] + ("X" if old[-1] != "X" else "Y")
    path.write_text(text.replace(old, changed, 1), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    assert path.stat().st_size == stat.st_size
    assert load_content(content).strings["en"][key] == changed


def test_a_file_broken_after_caching_still_stops_the_start(cache: Path, content: Path) -> None:
    load_content(content)
    (content / "sv" / "basics.yaml").write_text("help: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(content)
    assert any(
        p.file == "sv/basics.yaml" and "not valid YAML" in p.message for p in caught.value.problems
    )


def test_a_damaged_or_foreign_cache_is_ignored(cache: Path, content: Path) -> None:
    expected = load_content(content).strings
    for junk in (b"", b"\x00garbage", cache.read_bytes()[:1000]):
        cache.write_bytes(junk)
        assert load_content(content).strings == expected
    assert ParsedFiles(PARSER + " other", cache.parent)._read() == {}


def test_an_unwritable_cache_place_only_costs_the_cache(
    tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would be")
    monkeypatch.setenv("CACHE_DIRECTORY", str(blocker))
    assert load_content(content).strings["sv"]


def _checked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make every full load (parse-or-cache, then every check) visible."""
    import bot.content

    loads: list[int] = []
    original = bot.content._check_parity

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        loads.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(bot.content, "_check_parity", spy)
    return loads


def test_unchanged_files_of_a_clean_load_skip_the_checks_and_give_the_same_content(
    cache: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = _checked(monkeypatch)
    first = load_content(content)
    assert checked == [1]
    second = load_content(content)
    assert checked == [1]  # no second check: the same bytes were found clean
    assert second.strings == first.strings
    for bank in ("coaching", "prompts", "evaluations", "resources", "agreement"):
        assert second.bank(bank) == first.bank(bank)  # validated on first use
    assert second.coaching.questions[0] == first.coaching.questions[0]


def test_any_change_loads_and_checks_everything_again(
    cache: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.content

    checked = _checked(monkeypatch)
    load_content(content)
    (content / "en" / "extra.yaml").write_text("note: an added file\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:  # a key only in en: the check runs and says so
        load_content(content)
    assert any(p.key == "extra.note" for p in caught.value.problems)
    (content / "en" / "extra.yaml").unlink()
    load_content(content)  # as before the change: checked (the clean record was not replaced)
    load_content(content)
    assert len(checked) == 3
    # other checking code (another version of Mentorbot or pydantic): checked again
    monkeypatch.setattr(bot.content, "_checks_id", lambda: "another version")
    load_content(content)
    assert len(checked) == 4


def test_a_bank_broken_after_a_clean_load_still_stops_the_start(cache: Path, content: Path) -> None:
    load_content(content)
    path = content / "resources.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("https://", "ftp://", 1))
    with pytest.raises(ContentError) as caught:
        load_content(content)
    assert any(p.file == "resources.yaml" for p in caught.value.problems)


_WARM = """
import json, sys
from bot.content import load_content
from pathlib import Path
content = load_content(Path(sys.argv[1]))
print(json.dumps(["pydantic" in sys.modules, bool(content.t("en", "commands.help"))]))
"""


def test_a_start_over_unchanged_content_imports_no_pydantic(cache: Path, content: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent.parent)}
    env.pop("CACHE_DIRECTORY", None)
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", _WARM, str(content)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs == [[True, True], [False, True]]  # checked with pydantic once, then not


def test_the_banks_are_read_in_the_order_the_cache_names_them() -> None:
    from bot.content import BANK_NAMES
    from bot.content_banks import BANKS

    assert tuple(BANKS) == BANK_NAMES
