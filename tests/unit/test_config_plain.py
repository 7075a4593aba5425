"""The settings' plain conversion agrees with pydantic's wherever it decides.

:class:`bot.config.Settings` converts the values it is sure of without
pydantic (a start imports no pydantic); anything else goes to the pydantic
model built from the same fields.  Here every kind of value is given to both:
where the plain conversion decides, pydantic must accept the same value and
give exactly the same result (type included); where it does not, pydantic
names the problem as before.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import FIELDS, ConfigError, Settings, _model, _plainly, load_settings

SAMPLES: dict[str, list[Any]] = {
    "int": [
        "0",
        "1",
        "30",
        "007",
        "3650",
        "3651",
        " 5",
        "5.0",
        "-1",
        "+3",
        "1_000",
        "",
        "x",
        5,
        0,
        3651,
        True,
        5.0,
        None,
    ],
    "float": [
        "30",
        "0",
        "0.5",
        "1e3",
        "10000",
        "10000.5",
        "nan",
        "inf",
        " 2",
        "-1",
        ".5",
        "5.",
        "",
        5,
        0,
        5.5,
        True,
        None,
    ],
    "str": [
        "",
        "x",
        "sv",
        "en",
        "EN",
        " sv",
        "Europe/Stockholm",
        "Mars/Base",
        "normal",
        " full ",
        "bogus",
        "0.0.0.0:8443",
        "host:0",
        ":80",
        "sqlite+aiosqlite:///x.db",
        "mysql://x",
        5,
        None,
    ],
    "str | None": [None, "", "abc", 5],
    "Path": [".", "/nonexistent/dir", Path("."), 5, None],
}


def _pydantic(values: dict[str, Any]) -> dict[str, Any] | None:
    try:
        model = _model()(**values)
    except ValidationError:
        return None
    return {name: getattr(model, name) for name in FIELDS}


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_the_plain_conversion_gives_what_pydantic_gives(name: str) -> None:
    decided = 0
    for value in SAMPLES[FIELDS[name].kind]:
        values = {name: value}
        plain = _plainly(values)
        expected = _pydantic(values)
        if plain is None:
            continue
        decided += 1
        assert expected is not None, (name, value)  # pydantic accepts what the plain way does
        assert plain == expected, (name, value)
        assert [type(v) for v in plain.values()] == [type(v) for v in expected.values()]
    assert decided > 0  # the plain way decided something for every kind


def test_the_defaults_need_no_pydantic() -> None:
    assert _plainly({}) == _pydantic({})


def test_a_wrong_value_is_named_by_pydantics_message(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="MENTORBOT_INVITE_DAYS: Input should be less than"):
        load_settings(invite_days="4000")
    with pytest.raises(ConfigError, match="MENTORBOT_DEFAULT_LANGUAGE: expected sv or en"):
        load_settings(default_language="de")
    # an unusual spelling pydantic accepts is accepted, with pydantic's value
    assert load_settings(telegram_rate_limit="1e1").telegram_rate_limit == 10.0
    monkeypatch.setenv("MENTORBOT_START_RETRIES", " 7")
    assert load_settings().start_retries == 7


def test_plain_settings_import_no_pydantic() -> None:
    import subprocess

    code = "import sys, bot.config; bot.config.load_settings(); print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_copy_keeps_every_setting_and_replaces_some() -> None:
    settings = Settings(invite_days=3)
    copy = settings.model_copy(update={"messages_per_minute": 1_000_000})
    assert copy.invite_days == 3 and copy.messages_per_minute == 1_000_000
    assert settings.messages_per_minute == 60
