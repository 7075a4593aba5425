"""Reading a roster file: forgiving about form, exact about content.

Roster files come from spreadsheets.  A Swedish export separates with
semicolons, Excel adds a byte-order mark, people type ``Mentor`` and
``Pair``, and a name like ``Berg, Bea`` arrives quoted or not.  So the
delimiter is found from the header (``,`` ``;`` or tab), case and spaces
do not matter in roles, kinds and column names, and every problem is
reported by line number, all of them in one pass and in line order, so an
organiser fixes the file once.  Nothing here touches the database: the
import (:mod:`bot.organiser.roster_import`) checks the rows against the programmes and
against what an earlier import already created.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

COLUMNS = ("programme", "kind", "group", "role", "name")
ALIASES = {"program": "programme", "programm": "programme", "organizer": "organiser"}
DELIMITERS = (",", ";", "\t")
#: longest value per column (the database's limits)
LIMITS = {"programme": 64, "kind": 16, "group": 200, "role": 16, "name": 128}
MAX_FILE_BYTES = 5_000_000
KINDS = ("pair", "circle")
ROLES = ("mentor", "mentee", "organiser")


@dataclass(frozen=True)
class Problem:
    line: int
    text: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.text}" if self.line else self.text


@dataclass
class Seat:
    role: str
    name: str
    line: int


@dataclass
class RosterGroup:
    programme: str
    kind: Literal["pair", "circle"]
    label: str
    first_line: int
    seats: list[Seat] = field(default_factory=list)

    @property
    def mentor(self) -> str | None:
        return next((s.name for s in self.seats if s.role == "mentor"), None)

    @property
    def mentees(self) -> list[str]:
        return [s.name for s in self.seats if s.role == "mentee"]


@dataclass
class Roster:
    groups: list[RosterGroup] = field(default_factory=list)
    organisers: list[Seat] = field(default_factory=list)  # role "organiser", name, line
    organiser_programmes: dict[int, str] = field(default_factory=dict)  # line -> programme
    problems: list[Problem] = field(default_factory=list)
    delimiter: str = ","
    #: (programme, label) of groups with a bad row: their size is not judged again
    broken: set[tuple[str, str]] = field(default_factory=set)

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: p.line)


def read_file(path: Path) -> Roster:
    """Read ``path``; an unreadable or huge file is one problem, never a traceback."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Roster(problems=[Problem(0, f"{path}: {size} bytes; at most {MAX_FILE_BYTES}")])
        raw = path.read_bytes()
    except OSError as exc:
        return Roster(problems=[Problem(0, f"{path}: cannot read: {exc.strerror or exc}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # spreadsheets on Windows still save "CSV" as cp1252
        text = raw.decode("cp1252", errors="replace")
    return parse(text)


def _header_cells(line: str, delimiter: str) -> list[str]:
    cells = next(csv.reader([line], delimiter=delimiter), [])
    return [ALIASES.get(c.strip().lower(), c.strip().lower()) for c in cells]


def sniff(header_line: str) -> str:
    """The delimiter that makes the header name every column (else the most used one)."""
    for delimiter in DELIMITERS:
        if set(COLUMNS) <= set(_header_cells(header_line, delimiter)):
            return delimiter
    return max(DELIMITERS, key=header_line.count)


def parse(text: str) -> Roster:
    roster = Roster()
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        roster.problems.append(Problem(1, "the file is empty; expected a header row"))
        return roster
    delimiter = sniff(lines[first])
    roster.delimiter = delimiter
    header = _header_cells(lines[first], delimiter)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        roster.problems.append(
            Problem(
                first + 1,
                f"missing column(s): {', '.join(missing)} "
                f"(expected a header row {','.join(COLUMNS)}, separated by , ; or tab)",
            )
        )
        return roster
    index = {c: header.index(c) for c in COLUMNS}
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FILE_BYTES + 1)  # oversize values are reported, not fatal
    try:
        reader = csv.reader(io.StringIO("\n".join(lines[first + 1 :])), delimiter=delimiter)
        groups: dict[tuple[str, str], RosterGroup] = {}
        start = first + 2  # file line of the first data row
        for cells in reader:
            lineno = start
            start = first + 2 + reader.line_num  # the next record starts after this one
            before = len(roster.problems)
            _row(roster, groups, cells, lineno, index, len(header))
            if len(roster.problems) > before:
                roster.broken.add(_group_key(cells, index))
    finally:
        csv.field_size_limit(old_limit)
    for key, group in groups.items():
        if key not in roster.broken:
            _check_group(roster, group)
    roster.groups = list(groups.values())
    return roster


def _group_key(cells: list[str], index: dict[str, int]) -> tuple[str, str]:
    def cell(column: str) -> str:
        i = index[column]
        return cells[i].strip() if i < len(cells) else ""

    return cell("programme"), cell("group")


def _row(
    roster: Roster,
    groups: dict[tuple[str, str], RosterGroup],
    cells: list[str],
    lineno: int,
    index: dict[str, int],
    width: int,
) -> None:
    if not any(c.strip() for c in cells):
        return
    if len(cells) > width:
        roster.problems.append(
            Problem(
                lineno,
                f"{len(cells)} fields where {width} were expected; a name that contains "
                f"the separator {_shown(roster.delimiter)} must be in double quotes, "
                'e.g. "Berg, Bea"',
            )
        )
        return
    cells = cells + [""] * (width - len(cells))
    row = {c: cells[i].strip() for c, i in index.items()}
    too_long = [c for c in COLUMNS if len(row[c]) > LIMITS[c]]
    if too_long:
        for c in too_long:
            roster.problems.append(
                Problem(lineno, f"{c} is {len(row[c])} characters long; at most {LIMITS[c]}")
            )
        return
    prog, kind, label, name = row["programme"], row["kind"].lower(), row["group"], row["name"]
    role = ALIASES.get(row["role"].lower(), row["role"].lower())
    if not prog or not name:
        roster.problems.append(Problem(lineno, "programme and name are required"))
        return
    if role == "organiser":
        roster.organisers.append(Seat("organiser", name, lineno))
        roster.organiser_programmes[lineno] = prog
        return
    if role not in ROLES:
        roster.problems.append(
            Problem(lineno, f"role must be mentor, mentee or organiser, got {row['role']!r}")
        )
        return
    if kind not in KINDS:
        roster.problems.append(Problem(lineno, f"kind must be pair or circle, got {row['kind']!r}"))
        return
    if not label:
        roster.problems.append(Problem(lineno, "group is required (a label shared by its members)"))
        return
    group = groups.setdefault((prog, label), RosterGroup(prog, kind, label, lineno))  # type: ignore[arg-type]
    if group.kind != kind:
        roster.problems.append(Problem(lineno, f"group {label!r} is both pair and circle"))
        return
    if role == "mentor" and group.mentor is not None:
        roster.problems.append(Problem(lineno, f"group {label!r} already has a mentor"))
        return
    if any(s.name.casefold() == name.casefold() for s in group.seats):
        roster.problems.append(Problem(lineno, f"{name!r} is in group {label!r} twice"))
        return
    group.seats.append(Seat(role, name, lineno))


def _check_group(roster: Roster, group: RosterGroup) -> None:
    from bot.organiser.programmes import MAX_CIRCLE_MENTEES, MIN_CIRCLE_MENTEES

    mentees = group.mentees
    if group.mentor is None:
        roster.problems.append(Problem(group.first_line, f"group {group.label!r} has no mentor"))
    if group.kind == "pair" and len(mentees) != 1:
        extra = [s for s in group.seats if s.role == "mentee"][1:]
        line = extra[0].line if extra else group.first_line
        roster.problems.append(
            Problem(
                line,
                f"pair {group.label!r} (from line {group.first_line}) has {len(mentees)} "
                "mentees; a pair has exactly one",
            )
        )
    if group.kind == "circle" and not MIN_CIRCLE_MENTEES <= len(mentees) <= MAX_CIRCLE_MENTEES:
        roster.problems.append(
            Problem(
                group.first_line,
                f"circle {group.label!r} has {len(mentees)} mentees; "
                f"a circle has {MIN_CIRCLE_MENTEES} to {MAX_CIRCLE_MENTEES}",
            )
        )


def _shown(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)
