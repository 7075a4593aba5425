"""The command line: interactive console, db upgrade, run without tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import database_url


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MENTORBOT_DATABASE_URL": database_url(tmp_path)}
    env.pop("MENTORBOT_TELEGRAM_TOKEN", None)
    env.pop("MENTORBOT_DISCORD_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


def test_interactive_console_acts_as_several_people_and_moves_time(tmp_path: Path) -> None:
    session = "\n".join(
        [
            "/help",
            "/as bea",
            "/language",
            "@bea [2]",
            "/about",
            "@anna /start",
            "/wait 3d",
            "/quit",
        ]
    )
    out = run(tmp_path, "console", stdin=session)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Mentorbot i terminalen" in text
    assert "→ me: Det här kan du be mig om:" in text
    assert "→ bea: Vilket språk vill du att jag använder?" in text
    assert "→ bea (edit): Great, we'll speak English from now on." in text
    assert "→ bea: Mentoring is a series of conversations" in text
    assert "→ anna: Hej Anna!" in text
    assert "wait 3d" in text


def test_run_without_tokens_starts_the_console_on_sqlite(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("")
    out = run(tmp_path, "run", stdin="/start\n/quit\n")
    assert out.returncode == 0, out.stderr
    assert "→ me: Hej Me!" in out.stdout


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    for _ in range(2):
        out = run(tmp_path, "db", "upgrade", "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["upgraded"] is True
