"""One person's intake answers as a plain value, and how answers are normalised.

A :class:`Profile` is what the scorer and the solver see: no database rows, so
the same code serves the chat, the CLI, the benchmark and the property tests.
Language names are normalised with babel ("Swedish", "svenska", "SV" -> ``sv``)
so that a web form's free text and the chat's buttons meet on the same codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

MODES = ("online", "face_to_face", "hybrid")
#: career stages with how far along each is; "changing career" sits with early career
STAGE_LEVELS = {
    "student": 0,
    "doctoral": 1,
    "early_career": 2,
    "changing": 2,
    "industry": 3,
    "established": 4,
}
STAGES = tuple(STAGE_LEVELS)
#: languages offered as buttons in the intake (others can be imported by CSV)
CHAT_LANGUAGES = ("sv", "en", "fi", "de", "fr", "es", "ar")
MIN_CAPACITY, MAX_CAPACITY = 1, 4
GROUP_PREFERENCES = ("pair", "group", "either")


@dataclass(frozen=True)
class Profile:
    """Intake answers of one mentor or mentee; ``key`` identifies the seat."""

    key: int
    name: str
    role: str  # mentor | mentee
    languages: frozenset[str]
    utc_offset: float = 1.0  # hours, at the programme's start
    timezone: str = "Europe/Stockholm"
    mode: str = "online"
    city: str = ""
    field: str = ""
    stage: str = ""
    support: frozenset[str] = frozenset()  # needs (mentee) or offers (mentor)
    capacity: int = 1  # mentors: mentees they can take now (already held ones subtracted)
    avoid: frozenset[str] = frozenset()  # casefolded names
    prefers_group: str = "either"
    hopes: str = ""

    @property
    def folded_name(self) -> str:
        return fold(self.name)


def fold(text: str) -> str:
    """Names compare without case and surrounding space ("anna " == "Anna")."""
    return " ".join(text.split()).casefold()


@cache
def _language_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for display in ("en", "sv"):
        for code, name in Locale.parse(display).languages.items():
            if "_" not in code and len(code) <= 3:
                names.setdefault(name.casefold(), code)
    return names


def language_code(text: str) -> str | None:
    """``sv``/``Swedish``/``svenska`` -> ``sv``; None when babel knows no such language."""
    word = text.strip().casefold()
    if not word:
        return None
    if word in _language_names().values():
        return word
    return _language_names().get(word)


@cache
def language_name(code: str, lang: str) -> str:
    """The language's name in ``lang`` ("sv" in English is "Swedish")."""
    name = Locale.parse(lang).languages.get(code)
    return name if name else code


def utc_offset(zone: str, at: datetime) -> float | None:
    """Hours from UTC of ``zone`` at ``at``; None for an unknown zone."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    delta = at.replace(tzinfo=None).replace(tzinfo=tz).utcoffset()
    return delta.total_seconds() / 3600 if delta is not None else None
