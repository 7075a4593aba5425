"""A newcomer's first minutes: the greeting, the demo, and an example that goes all the way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mentorbot(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORBOT_")}
    env["MENTORBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/first.db"
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )


def test_an_empty_console_says_how_to_try_it_and_takes_script_lines(tmp_path: Path) -> None:
    typed = "\n".join(
        [
            '$ program create --name "STEM Up" --slug stemup --start 2026-12-01 --end 2027-06-01',
            "$ pair create --program stemup --mentor Anna --mentee Bea",
            "@bea /start {code:Bea}",
            "@bea [2]",
            "/wait 1d",
            "wait 1h",
            "/quit",
        ]
    )
    run = mentorbot(tmp_path, "run", stdin=typed)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Här finns inget program än" in out and "mentorbot demo" in out
    assert "programme stemup: STEM Up" in out  # `$ ...` ran as an organiser command
    assert "→ bea: Hej Bea, och välkommen till STEM Up! Du är med som adept." in out
    assert "→ bea (edit): I'll send reminders in your local time." in out
    assert "wait 1d" in out and "wait 1h" in out
    assert "(" + "no button" not in out

    again = mentorbot(tmp_path, "run", stdin="/quit\n")  # the programme is there now
    assert "Här finns inget program än" not in again.stdout


def test_wait_with_a_slash_works_in_scripts(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text("@anna /start\n/wait 1d\nwait 2h\n", encoding="utf-8")
    run = mentorbot(tmp_path, "console", "--script", str(script), "--now", "2026-11-25T10:00")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-2:] == ["wait 1d", "wait 2h"]


def test_demo_logs_you_in_as_a_mentee_of_a_joined_mentor(tmp_path: Path) -> None:
    run = mentorbot(tmp_path, "demo", stdin="[2]\n[1]\n[1]\n[1]\n/quit\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Ett demoprogram är klart" in out
    assert "→ me: Hej Me, och välkommen till Demo! Du är med som adept." in out
    assert "→ me: You're both here – you and Anna are now a pair in Demo!" in out
    assert "→ anna: Nu är ni båda på plats – du och Me är ett par i Demo!" in out
    assert "$ program create" not in out  # the set-up stays quiet
    assert not (tmp_path / "first.db").exists()  # a scratch database, not the configured one


def test_the_example_takes_a_pair_to_a_meeting_and_feedback(tmp_path: Path) -> None:
    run = mentorbot(
        tmp_path,
        "console",
        "--script",
        str(ROOT / "examples/pair-meets.txt"),
        "--now",
        "2026-11-25T10:00",
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "no button" not in out
    assert "→ anna (edit): Bokat! tisdag 8 december kl. 16:00 (Europe/Stockholm)" in out
    assert "→ bea: Booked! Tuesday 8 December at 15:00 (Europe/London)" in out
    assert "   Bea vill ta upp:" in out and "How to plan the last year of my PhD" in out
    assert "→ anna: Hur gick det – blev mötet tisdag 8 december kl. 16:00 av?" in out
    assert "   ”Starting with my questions”" in out  # shared by Bea's choice
    assert out.rstrip().endswith("Dina svar stannar hos dig om du inte har delat dem.")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "examples/pair-meets.txt" in readme
