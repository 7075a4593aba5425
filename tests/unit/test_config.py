"""Bad configuration stops start-up with one clear line naming the setting."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("setting", "value", "fragment"),
    [
        ("default_timezone", "Mars/Olympus", "MENTORBOT_DEFAULT_TIMEZONE"),
        ("default_language", "de", "MENTORBOT_DEFAULT_LANGUAGE"),
        ("database_url", "mysql://x", "MENTORBOT_DATABASE_URL"),
        ("telegram_webhook_listen", "nonsense", "MENTORBOT_TELEGRAM_WEBHOOK_LISTEN"),
        ("content_dir", "/no/such/dir", "MENTORBOT_CONTENT_DIR"),
        ("invite_days", "0", "MENTORBOT_INVITE_DAYS"),
        ("sqlite_synchronous", "SOMETIMES", "MENTORBOT_SQLITE_SYNCHRONOUS"),
    ],
)
def test_bad_setting_is_named(setting: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(**{setting: value})
    assert str(err.value).startswith(fragment)
    assert "\n" not in str(err.value)


def test_webhook_needs_a_secret() -> None:
    with pytest.raises(ConfigError, match="MENTORBOT_TELEGRAM_WEBHOOK_SECRET"):
        load_settings(telegram_webhook_url="https://example.org/hook")


def test_cli_reports_bad_config_in_one_line() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "MENTORBOT_DEFAULT_TIMEZONE": "Nowhere/Land"},
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 78  # EX_CONFIG: a service manager need not retry
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "MENTORBOT_DEFAULT_TIMEZONE" in lines[0]


def test_sqlite_synchronous_is_full_unless_lowered_on_purpose() -> None:
    assert load_settings().sqlite_synchronous == "FULL"
    assert load_settings(sqlite_synchronous="normal").sqlite_synchronous == "NORMAL"


def test_run_help_lists_every_setting_with_its_default() -> None:
    from bot.cli import build_parser
    from bot.config import setting_names

    run = build_parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    text = run.format_help()
    for name in setting_names():
        line = next((ln for ln in text.splitlines() if ln.strip().startswith(name + " ")), "")
        assert "default" in line, name
    assert re.search(r"MENTORBOT_INVITE_DAYS +default 30\n", text)


def test_unknown_variables_name_the_closest_setting() -> None:
    from bot.config import unknown_settings

    env = {
        "MENTORBOT_TELEGRAM_TOKN": "x",
        "MENTORBOT_DATABASE_URL": "sqlite+aiosqlite:///x.db",  # a real one: no warning
        "MENTORBOT_TEST_DATABASE_URL": "postgresql://",  # the tests' own
        "MENTORBOT_ZZZ": "1",
        "OTHER_TELEGRAM_TOKN": "y",
    }
    assert unknown_settings(env) == [
        "MENTORBOT_TELEGRAM_TOKN is not a setting and is ignored;"
        " did you mean MENTORBOT_TELEGRAM_TOKEN?",
        "MENTORBOT_ZZZ is not a setting and is ignored",
    ]


def test_a_misspelt_setting_in_dotenv_warns_too(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.config import unknown_settings

    (tmp_path / ".env").write_text("MENTORBOT_DEFAULT_LANGUAGEE=en\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert any(
        "MENTORBOT_DEFAULT_LANGUAGEE" in w and "MENTORBOT_DEFAULT_LANGUAGE?" in w
        for w in unknown_settings()
    )


def test_settings_come_from_dotenv_the_environment_and_arguments_in_that_order(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch
) -> None:
    (tmp_path / ".env").write_text(
        "MENTORBOT_DEFAULT_LANGUAGE=en\nMENTORBOT_INVITE_DAYS=7\n"
        "MENTORBOT_TELEGRAM_USERNAME\nOTHER=1\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    for name in (
        "MENTORBOT_INVITE_DAYS",
        "MENTORBOT_DEFAULT_LANGUAGE",
        "MENTORBOT_TELEGRAM_USERNAME",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.default_language, settings.invite_days) == ("en", 7)  # from .env, as int
    assert settings.telegram_username is None  # a name without a value is skipped
    monkeypatch.setenv("mentorbot_invite_days", "9")  # any case, over .env
    assert load_settings().invite_days == 9
    assert load_settings(invite_days=3).invite_days == 3  # arguments over both
    monkeypatch.setenv("MENTORBOT_INVITE_DAYS", "many")
    monkeypatch.delenv("mentorbot_invite_days")
    with pytest.raises(ConfigError, match=r"^MENTORBOT_INVITE_DAYS: Input should be a valid"):
        load_settings()


def test_the_start_imports_no_pydantic_settings() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import sys, bot.config; print('pydantic_settings' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"
