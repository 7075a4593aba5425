"""``mentorbot roster import`` on real files and a real database (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.scenario.test_onboarding import cli


def _programme(tmp_path: Path) -> None:
    made = cli(
        tmp_path, "program", "create", "--name", "STEM Up", "--slug", "stemup",
        "--start", "2026-12-01", "--end", "2027-06-01", "--format", "mixed",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr


def _groups(tmp_path: Path) -> list[dict[str, object]]:
    shown = cli(tmp_path, "program", "show", "stemup", "--json")
    groups: list[dict[str, object]] = json.loads(shown.stdout)["groups"]
    return groups


SWEDISH_EXPORT = (
    "\ufeffProgramme;Kind;Group;Role;Name\r\n"
    "stemup;Pair;p1;Mentor;Andersson, Anna\r\n"
    "stemup;Pair;p1;Mentee;Berg, Bea\r\n"
    "stemup;Circle;c1;Mentor;Greta\r\n"
    "stemup;Circle;c1;MENTEE;Hanna\r\n"
    "stemup;Circle;c1;mentee;Ines\r\n"
    "stemup;;;Organiser;Olga\r\n"
)


def test_a_swedish_spreadsheet_export_imports_and_a_second_import_creates_nothing(
    tmp_path: Path,
) -> None:
    _programme(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(SWEDISH_EXPORT, encoding="utf-8")
    first = cli(tmp_path, "roster", "import", str(roster), "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    result = json.loads(first.stdout)
    assert result["imported"] == 2 and len(result["organisers"]) == 1
    names = {i["name"] for g in result["groups"] for i in g["invites"]}
    assert names == {"Andersson, Anna", "Berg, Bea", "Greta", "Hanna", "Ines"}
    again = cli(tmp_path, "roster", "import", str(roster))
    assert again.returncode == 0, again.stderr
    assert "imported 0 groups" in again.stdout
    assert "line 2: pair p1 – already there" in again.stdout
    assert "line 4: circle c1 – already there" in again.stdout
    assert "line 7: organiser Olga – already there" in again.stdout
    assert "code" not in again.stdout  # no second set of codes
    assert len(_groups(tmp_path)) == 2
    shown = json.loads(cli(tmp_path, "program", "show", "stemup", "--json").stdout)
    assert [o["name"] for o in shown["organisers"]] == ["Olga"]


def test_dry_run_reports_and_creates_nothing(tmp_path: Path) -> None:
    _programme(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(SWEDISH_EXPORT, encoding="utf-8")
    dry = cli(tmp_path, "roster", "import", str(roster), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "nothing was created" in dry.stdout
    assert "would create pair p1 in stemup" in dry.stdout
    assert "would create organiser Olga in stemup" in dry.stdout
    assert _groups(tmp_path) == []


def test_every_bad_line_at_once_in_order_and_nothing_created(tmp_path: Path) -> None:
    _programme(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "programme,kind,group,role,name\n"
        "stemup,pair,p1,mentor,Anna\n"
        "stemup,pair,p1,mentee,Berg, Bea\n"  # 3: unquoted comma
        "nope,pair,p2,mentor,Cecilia\n"  # 4: no such programme
        "nope,pair,p2,mentee,Dana\n"
        "stemup,pair,p3,mentor," + "x" * 200_000 + "\n"  # 6: oversize
        "stemup,pair,p4,Boss,Eva\n",  # 7: bad role
        encoding="utf-8",
    )
    run = cli(tmp_path, "roster", "import", str(roster))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    lines = [line.split(": ", 1)[1] for line in run.stderr.splitlines() if "line " in line]
    assert [line.split(":")[0] for line in lines] == [
        "line 3",
        "line 4",
        "line 6",
        "line 7",
    ]
    assert "nothing imported (4 error(s))" in run.stderr
    assert _groups(tmp_path) == []


def test_a_label_already_used_by_other_people_is_an_error_not_a_duplicate(tmp_path: Path) -> None:
    _programme(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "programme,kind,group,role,name\nstemup,pair,p1,mentor,Anna\nstemup,pair,p1,mentee,Bea\n"
    )
    assert cli(tmp_path, "roster", "import", str(roster)).returncode == 0
    roster.write_text(
        "programme,kind,group,role,name\nstemup,pair,p1,mentor,Anna\nstemup,pair,p1,mentee,Cilla\n"
        "stemup,pair,p2,mentor,Dana\nstemup,pair,p2,mentee,Eva\n"
    )
    run = cli(tmp_path, "roster", "import", str(roster), "--json")
    assert run.returncode == 1
    body = json.loads(run.stdout)
    assert body["errors"] == [
        "line 2: pair 'p1' exists already with other people (#1; see "
        "`mentorbot pair list --program stemup`)"
    ]
    assert len(_groups(tmp_path)) == 1
