"""Reading applications collected in a web form: ``mentorbot intake import FILE.csv``.

Columns: ``programme,role,name,languages,timezone,mode,city,field,stage,
support,capacity,hopes,avoid`` (lists separated by ``;``; ``support`` holds
needs for mentees and offers for mentors).  Forgiving about what spreadsheets
do: a byte-order mark, ``,`` or ``;`` or tab as delimiter (sniffed), headers
and roles in any case, "Swedish" or "svenska" for ``sv``, "face-to-face" for
``face_to_face``.  Strict about what matters: every problem is reported with
its line number in one pass, oversize fields included, and a file with any
error imports nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.matching.profile import (
    GROUP_PREFERENCES,
    MAX_CAPACITY,
    MIN_CAPACITY,
    MODES,
    STAGES,
    language_code,
)
from bot.time.zones import resolve_zone

COLUMNS = (
    "programme",
    "role",
    "name",
    "languages",
    "timezone",
    "mode",
    "city",
    "field",
    "stage",
    "support",
    "capacity",
    "hopes",
    "avoid",
)
REQUIRED = ("programme", "role", "name", "languages")
OPTIONAL = ("prefers_group",)
MAX_FILE_BYTES = 5_000_000
#: longest accepted value per column (characters); others: DEFAULT_MAX
MAX_LENGTH = {"name": 128, "hopes": 1000, "avoid": 500, "city": 80, "field": 60}
DEFAULT_MAX = 200
ROLES = {"mentor": "mentor", "mentee": "mentee", "adept": "mentee", "adepter": "mentee"}
MODE_WORDS = {
    "online": "online",
    "digital": "online",
    "distans": "online",
    "face_to_face": "face_to_face",
    "face-to-face": "face_to_face",
    "face to face": "face_to_face",
    "in person": "face_to_face",
    "fysiskt": "face_to_face",
    "på plats": "face_to_face",
    "hybrid": "hybrid",
}
STAGE_WORDS = {
    **{s: s for s in STAGES},
    "phd": "doctoral",
    "doktorand": "doctoral",
    "postdoc": "early_career",
    "early career": "early_career",
    "changing career": "changing",
    "karriärbyte": "changing",
    "senior": "established",
}
SUPPORT_IDS = ("career", "emotional", "practical", "profile", "other")


@dataclass
class IntakeRow:
    line: int
    programme: str
    role: str
    name: str
    answers: dict[str, Any] = field(default_factory=dict)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _sniff(text: str) -> str:
    head = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        return max(",;\t", key=head.count)


def read_intake_csv(
    path: Path, support_labels: dict[str, str] | None = None
) -> tuple[list[IntakeRow], list[str]]:
    """Rows and every error (``line N: ...``); ``support_labels`` maps label -> id."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return [], [f"{path}: larger than {MAX_FILE_BYTES // 1_000_000} MB"]
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}: cannot read: {exc}"]
    return parse_intake_csv(text, support_labels)


def parse_intake_csv(
    text: str, support_labels: dict[str, str] | None = None
) -> tuple[list[IntakeRow], list[str]]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return [], ["line 1: the file is empty"]
    reader = csv.reader(io.StringIO(text), delimiter=_sniff(text))
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except csv.Error as exc:
        return [], [f"line 1: {exc}"]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"line 1: missing column(s): {', '.join(missing)}"]
    errors: list[str] = []  # other columns (a form's timestamp...) are ignored
    labels = {k.casefold(): v for k, v in (support_labels or {}).items()}
    rows: list[IntakeRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    line = 1
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"line {line}: {exc}")
            continue
        if not any(v.strip() for v in values):
            continue
        raw = {
            h: (values[n].strip() if n < len(values) else "")
            for n, h in enumerate(header)
            if h in COLUMNS or h in OPTIONAL
        }
        row, problems = _row(line, raw, labels)
        if len(values) > len(header):
            problems.append(f"{len(values)} values but {len(header)} columns")
        key = (row.programme.casefold(), row.role, " ".join(row.name.split()).casefold())
        if not problems and key in seen:
            problems.append(f"{row.name} applied as {row.role} already on line {seen[key]}")
        seen.setdefault(key, line)
        errors += [f"line {line}: {p}" for p in problems]
        if not problems:
            rows.append(row)
    return rows, errors


def _row(line: int, raw: dict[str, str], labels: dict[str, str]) -> tuple[IntakeRow, list[str]]:
    problems = []
    for column, value in raw.items():
        limit = MAX_LENGTH.get(column, DEFAULT_MAX)
        if len(value) > limit:
            problems.append(f"{column} is {len(value)} characters long (at most {limit})")
            raw[column] = value[:limit]
    role = ROLES.get(raw.get("role", "").casefold(), "")
    row = IntakeRow(line, raw.get("programme", ""), role, " ".join(raw.get("name", "").split()))
    if not row.programme:
        problems.append("programme is empty")
    if not row.name:
        problems.append("name is empty")
    if not role:
        problems.append(f"role must be mentor or mentee, got {raw.get('role', '')!r}")
    langs = []
    for word in _split(raw.get("languages", "")):
        code = language_code(word)
        if code is None:
            problems.append(f"unknown language {word!r}")
        elif code not in langs:
            langs.append(code)
    if not langs and not any("language" in p for p in problems):
        problems.append("languages: at least one is needed (e.g. sv;en)")
    zone = "Europe/Stockholm"
    if raw.get("timezone"):
        found = resolve_zone(raw["timezone"])
        if found is None:
            problems.append(f"unknown time zone {raw['timezone']!r}")
        zone = found or zone
    mode = MODE_WORDS.get(raw.get("mode", "").casefold() or "online")
    if mode is None:
        problems.append(f"mode must be one of {', '.join(MODES)}, got {raw['mode']!r}")
    city = raw.get("city", "")
    if mode == "face_to_face" and not city:
        problems.append("city is needed for face-to-face meetings")
    stage = ""
    if raw.get("stage"):
        stage = STAGE_WORDS.get(raw["stage"].casefold().replace("-", " "), "") or STAGE_WORDS.get(
            raw["stage"].casefold().replace(" ", "_"), ""
        )
        if not stage:
            problems.append(f"stage must be one of {', '.join(STAGES)}, got {raw['stage']!r}")
    support = []
    for word in _split(raw.get("support", "")):
        sid = word.casefold() if word.casefold() in SUPPORT_IDS else labels.get(word.casefold())
        if sid is None:
            problems.append(f"unknown support area {word!r} (known: {', '.join(SUPPORT_IDS)})")
        elif sid not in support:
            support.append(sid)
    capacity = 1
    if raw.get("capacity"):
        try:
            capacity = int(raw["capacity"])
        except ValueError:
            capacity = 0
        if role == "mentor" and not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
            problems.append(
                f"capacity must be {MIN_CAPACITY} to {MAX_CAPACITY}, got {raw['capacity']!r}"
            )
    prefers = raw.get("prefers_group", "").casefold() or "either"
    if prefers not in GROUP_PREFERENCES:
        problems.append(f"prefers_group must be pair, group or either, got {prefers!r}")
    row.answers = {
        "languages": langs,
        "timezone": zone,
        "mode": mode or "online",
        "city": city if mode != "online" else "",
        "field": raw.get("field", ""),
        "stage": stage,
        "support": support,
        "capacity": capacity if role == "mentor" else 1,
        "prefers_group": prefers,
        "hopes": raw.get("hopes", ""),
        "avoid": _split(raw.get("avoid", "")),
    }
    return row, problems
