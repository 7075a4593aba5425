"""The README's example script still runs and shows a pair joining."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_example_script_runs(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "console",
            "--script",
            str(ROOT / "examples/pair-joins.txt"),
            "--now",
            "2026-11-25T10:00",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "→ bea: Europe/London it is." in out
    assert "→ anna: Nu är ni båda på plats – du och Bea är ett par i STEM Up!" in out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for line in ("→ bea: Europe/London it is.", "@anna /start", "   [1] Svenska  [2] English"):
        assert line in readme


def test_the_programme_lifecycle_example_runs_from_roster_to_close(tmp_path: Path) -> None:
    """examples/programme-lifecycle.txt (issue 17): roster import to close."""
    run = subprocess.run(
        [
            sys.executable, "-m", "bot", "console", "--script",
            "examples/programme-lifecycle.txt", "--now", "2026-11-25T10:00",
        ],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    out = run.stdout
    assert "(no button" not in out
    # roster imported once; the second import creates nothing
    assert "imported 5 groups" in out and "imported 0 groups" in out
    assert "line 2: pair p1 – already there" in out
    # Eira never joins and is chased: Olga gets a fresh code, Dora a kind word
    assert "• Eira (adept, p3): " in out
    assert "→ dora: Eira har inte anslutit än." in out
    # the mentor with two mentees is asked which, and moves Cilla's meeting
    assert "→ anna: /reschedule: vilket av dina mentorskap menar du?" in out
    assert "→ cilla: Anna suggests a meeting: Friday 4 December at 10:00" in out
    # a pair changes its rhythm
    assert "→ anna: Ny rytm överenskommen: varje vecka · 45 min · online" in out
    # Fia leaves, Gun gets Hedda via pair replace, and is introduced
    assert "→ gun: Fia har behövt lämna ert mentorskap." in out
    assert "→ gun: Hedda har anslutit – här är din nya partner i STEM Up!" in out
    # one pair ended early, the end date passes, everyone else completed
    final = out.rsplit("$ pair list --program stemup", 1)[1]
    statuses = [line.split()[2] for line in final.strip().splitlines()]
    assert statuses == ["completed", "completed", "completed", "completed", "ended"]
    assert "→ olga: STEM Up är slut: 4 par och grupper är nu avslutade" in out
    assert "vart och ett" not in out and "every one of them" not in out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "examples/programme-lifecycle.txt" in readme
    for line in (
        "→ anna: /reschedule: vilket av dina mentorskap menar du?",
        "   [1] Med Bea  [2] Med Cilla",
    ):
        assert line in readme
