"""Console script mode: the stable transcript format, on a simulated clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """\
# a comment is ignored
@anna /start
@anna [2]
@anna /language
@anna [eng]
@bea /help
@anna [1]
wait 3d
@anna [9]
"""


def run_console(tmp_path: Path, script: str, *extra: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "script.txt"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", "--script", str(path), *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
    )


def test_script_mode_prints_the_transcript(tmp_path: Path) -> None:
    run = run_console(tmp_path, SCRIPT, "--now", "2026-11-25T10:00")
    # the press of [9] found no button: the script runs on, but fails (issue 20)
    assert run.returncode == 1, run.stderr
    assert "line 9: no button [9] for anna" in run.stderr
    out = run.stdout.splitlines()
    assert out[0] == "@anna /start"
    assert out[1].startswith("→ anna: Hej Anna!")
    assert "   [1] Vad kan du göra?  [2] Om mentorskap" in out
    assert any(line.startswith("→ anna: Mentorskap är en serie samtal") for line in out)
    assert "→ anna (edit): Great, we'll speak English from now on." in out
    assert any(line.startswith("→ bea: Det här kan du be mig om:") for line in out)
    assert any(line.startswith("→ anna: Here's what you can ask me for:") for line in out)
    assert "wait 3d" in out
    assert "   (no button [9] for anna)" in out
    assert not (tmp_path / "mentorbot.db").exists()  # scripts run on a scratch database


def test_script_errors_name_the_line(tmp_path: Path) -> None:
    run = run_console(tmp_path, "@anna /start\nthis is not an action\n")
    assert run.returncode == 2
    assert "line 2" in run.stderr and "Traceback" not in run.stderr
    run = run_console(tmp_path, "wait forever\n")
    assert run.returncode == 2 and "line 1" in run.stderr
