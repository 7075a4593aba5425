"""The intake CSV reader: forgiving about format, strict and complete about errors."""

from __future__ import annotations

from pathlib import Path

from bot.matching.csvimport import parse_intake_csv, read_intake_csv

HEADER = "programme,role,name,languages,timezone,mode,city,field,stage,support,capacity,hopes,avoid"


def test_semicolons_bom_and_any_case_are_fine(tmp_path: Path) -> None:
    text = (
        "\ufeffProgramme;ROLE;Name;Languages;Timezone;Mode;City;Field;Stage;Support;Capacity\n"
        'stemup;Mentor;Anna Berg;"Swedish;en";Stockholm;Face-to-face;Lund;Fysik;senior;'
        '"career;Emotional";3\n'
        "stemup;ADEPT;Bea;svenska;;online;;Kemi;PhD;career;\n"
    )
    path = tmp_path / "apps.csv"
    path.write_bytes(text.encode("utf-8"))
    rows, errors = read_intake_csv(path)
    assert errors == []
    anna, bea = rows
    assert (anna.role, anna.name) == ("mentor", "Anna Berg")
    assert anna.answers["languages"] == ["sv", "en"]
    assert anna.answers["mode"] == "face_to_face" and anna.answers["city"] == "Lund"
    assert anna.answers["stage"] == "established"
    assert anna.answers["support"] == ["career", "emotional"]
    assert anna.answers["capacity"] == 3
    assert anna.answers["timezone"] == "Europe/Stockholm"
    assert (bea.role, bea.answers["stage"], bea.answers["languages"]) == (
        "mentee",
        "doctoral",
        ["sv"],
    )


def test_tabs_are_sniffed() -> None:
    rows, errors = parse_intake_csv("programme\trole\tname\tlanguages\nstemup\tmentee\tBea\ten\n")
    assert errors == [] and rows[0].answers["languages"] == ["en"]


def test_every_bad_row_is_named_with_its_line_in_one_pass() -> None:
    long_hopes = "x" * 1500
    text = "\n".join(
        [
            HEADER,
            "stemup,mentor,Anna,sv,,online,,Fysik,established,career,2,,",
            "stemup,boss,Bo,sv,,online,,,,,,,",
            "stemup,mentee,Cleo,qwerty,,online,,,,,,,",
            "stemup,mentee,Dana,sv,Mars/Olympus,face to face,,,,,,,",
            f"stemup,mentee,Eva,sv,,online,,,,,,{long_hopes},",
            "stemup,mentor,Fia,sv,,online,,,,,9,,",
            "stemup,mentor,anna ,sv,,online,,,,,1,,",
            ",mentee,,sv,,online,,,,wishes,,,",
        ]
    )
    rows, errors = parse_intake_csv(text)
    assert [r.name for r in rows] == ["Anna"]
    joined = "\n".join(errors)
    assert "line 3: role must be mentor or mentee, got 'boss'" in joined
    assert "line 4: unknown language 'qwerty'" in joined
    assert "line 5: unknown time zone 'Mars/Olympus'" in joined
    assert "line 5: city is needed for face-to-face meetings" in joined
    assert "line 6: hopes is 1500 characters long (at most 1000)" in joined
    assert "line 7: capacity must be 1 to 4, got '9'" in joined
    assert "line 8: anna applied as mentor already on line 2" in joined
    assert "line 9: programme is empty" in joined and "line 9: name is empty" in joined
    assert "line 9: unknown support area 'wishes'" in joined


def test_missing_columns_and_empty_files_are_explained(tmp_path: Path) -> None:
    assert parse_intake_csv("programme,role,name\nx,mentor,A\n")[1] == [
        "line 1: missing column(s): languages"
    ]
    assert parse_intake_csv("")[1] == ["line 1: the file is empty"]
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("programme,role,name,languages\nx,mentor,Åsa,sv\n".encode("latin-1"))
    assert "cannot read" in read_intake_csv(bad)[1][0]


def test_line_numbers_count_quoted_line_breaks() -> None:
    text = (
        HEADER
        + '\nstemup,mentee,Bea,sv,,online,,,,,,"two\nlines",\nstemup,mentee,Cleo,xx,,,,,,,,,\n'
    )
    rows, errors = parse_intake_csv(text)
    assert rows[0].answers["hopes"] == "two\nlines"
    assert errors == ["line 4: unknown language 'xx'"]
