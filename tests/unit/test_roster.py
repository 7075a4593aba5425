"""Roster files as spreadsheets really write them: each bad file of issue 17."""

from __future__ import annotations

from pathlib import Path

from bot.organiser.roster import parse, read_file

HEADER = "programme,kind,group,role,name\n"


def problems(text: str) -> list[str]:
    return [str(p) for p in parse(text).sorted_problems()]


def test_semicolons_and_tabs_are_found_from_the_header() -> None:
    for sep in (";", "\t", ","):
        text = sep.join(["programme", "kind", "group", "role", "name"]) + "\n"
        text += sep.join(["stemup", "pair", "p1", "mentor", "Anna Andersson"]) + "\n"
        text += sep.join(["stemup", "pair", "p1", "mentee", "Bea Berg"]) + "\n"
        roster = parse(text)
        assert roster.problems == [], (sep, roster.problems)
        assert roster.delimiter == sep
        assert [(g.mentor, g.mentees) for g in roster.groups] == [("Anna Andersson", ["Bea Berg"])]


def test_semicolons_keep_commas_in_names() -> None:
    roster = parse(
        "programme;kind;group;role;name\nstemup;pair;p1;mentor;Berg, Anna\n"
        "stemup;pair;p1;mentee;Bea\n"
    )
    assert roster.problems == []
    assert roster.groups[0].mentor == "Berg, Anna"


def test_bom_and_capitals_in_header_roles_and_kinds(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(
        "\ufeffProgramme,Kind,Group,Role,Name\r\n"
        "stemup,Pair,p1,Mentor,Anna\r\nstemup,PAIR,p1,MENTEE,Bea\r\n"
        "stemup,,,Organiser,Olga\r\n".encode()
    )
    roster = read_file(path)
    assert roster.problems == []
    assert roster.groups[0].mentor == "Anna" and roster.groups[0].mentees == ["Bea"]
    assert [s.name for s in roster.organisers] == ["Olga"]


def test_quoted_names_with_commas_are_fine_unquoted_ones_are_named_by_line() -> None:
    text = (
        HEADER
        + 'stemup,pair,p1,mentor,"Andersson, Anna"\n'
        + "stemup,pair,p1,mentee,Berg, Bea\n"
        + "stemup,pair,p2,mentor,Cecilia\n"
        + "stemup,pair,p2,mentee,Dana\n"
    )
    roster = parse(text)
    assert roster.groups[0].mentor == "Andersson, Anna"
    found = problems(text)
    assert found[0].startswith("line 3: 6 fields where 5 were expected")
    assert '"Berg, Bea"' in found[0]


def test_an_oversize_field_is_reported_by_line_not_a_crash() -> None:
    text = HEADER + "stemup,pair,p1,mentor,Anna\n" + "stemup,pair,p1,mentee," + "x" * 200_000 + "\n"
    found = problems(text)
    assert "line 3: name is 200000 characters long; at most 128" in found


def test_every_error_in_one_pass_in_line_order() -> None:
    text = (
        HEADER
        + "stemup,pair,p1,mentor,Anna\n"  # 2: p1 gets two mentees (line 4)
        + "stemup,pair,p1,mentee,Bea\n"  # 3
        + "stemup,pair,p1,mentee,Cilla\n"  # 4
        + "stemup,trio,p2,mentor,Dana\n"  # 5: bad kind
        + "stemup,pair,p3,boss,Eva\n"  # 6: bad role
        + "stemup,pair,p4,mentee,Fia\n"  # 7: p4 has no mentor
        + ",pair,p5,mentor,Gun\n"  # 8: no programme
    )
    found = problems(text)
    assert [f.split(":")[0] for f in found] == [
        "line 4",
        "line 5",
        "line 6",
        "line 7",
        "line 8",
    ]
    assert "pair 'p1' (from line 2) has 2 mentees" in found[0]
    assert "kind must be pair or circle, got 'trio'" in found[1]
    assert "role must be mentor, mentee or organiser, got 'boss'" in found[2]
    assert "group 'p4' has no mentor" in found[3]


def test_line_numbers_count_quoted_line_breaks_and_blank_lines() -> None:
    text = HEADER + '\nstemup,pair,p1,mentor,"Anna\nAndersson"\nstemup,pair,p1,boss,Bea\n'
    assert problems(text) == ["line 5: role must be mentor, mentee or organiser, got 'boss'"]


def test_a_header_that_is_not_one_says_what_is_expected() -> None:
    found = problems("namn;roll\nAnna;mentor\n")
    assert found[0].startswith("line 1: missing column(s): programme, kind, group, role, name")
    assert problems("") == ["line 1: the file is empty; expected a header row"]


def test_an_unreadable_file_is_one_clear_problem(tmp_path: Path) -> None:
    roster = read_file(tmp_path / "missing.csv")
    assert "cannot read" in str(roster.problems[0])
