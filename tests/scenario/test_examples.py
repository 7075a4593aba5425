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
