"""What every part of the time parser shares: its results, its failures, the text it reads.

``OneOff`` and ``Recurring`` are what a reading gives; ``ParseFailure`` names why
nothing could be read.  A ``_Vocab`` holds one language's words (filled in
:mod:`bot.time.vocabulary`); ``_Ctx`` is the moment and zone a text is read in."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

_MAX_AHEAD = timedelta(days=5 * 366)


_RECENT_PAST = timedelta(days=31)


_SCAN_LIMIT = 1500


@dataclass(frozen=True)
class OneOff:
    """A single meeting.

    `start` is timezone-aware UTC. When the text named only a day ("in 2 weeks", "på fredag"),
    `has_time` is False and `start` is that day at 00:00 local time, converted to UTC, so the
    flow can ask for a time and call `with_time`.
    """

    start: datetime
    has_time: bool


@dataclass(frozen=True)
class Recurring:
    """A repeating meeting, anchored in a local zone so wall-clock time survives DST.

    `rrule` is an RFC 5545 RRULE value without the "RRULE:" prefix. When `has_time` is True it
    carries the local time as BYHOUR/BYMINUTE, so the rule stays right even if `first` falls in
    a skipped DST hour. `first` (aware UTC) is the first occurrence at or after the moment of
    parsing and acts as DTSTART: it fixes the phase of "every other week".
    """

    first: datetime
    rrule: str
    tz: str
    has_time: bool


@dataclass(frozen=True)
class ParseFailure:
    """Why the text could not become a meeting time; each reason gets its own reply."""

    reason: Literal["unparseable", "ambiguous", "past", "too_long", "missing_day", "next_or_this"]


_UNPARSEABLE = ParseFailure("unparseable")


_AMBIGUOUS = ParseFailure("ambiguous")


_PAST = ParseFailure("past")
_MISSING_DAY = ParseFailure("missing_day")
"""A rule with a frequency but no day ("varje månad", "every second week"): ask for the day."""
_NEXT_OR_THIS = ParseFailure("next_or_this")
"""Swedish "nästa fredag" on a Thursday: tomorrow, or in eight days? Usage is split, so ask."""


@dataclass(frozen=True)
class _Unsure:
    """A failure from a fallback guess: the other language still gets a chance to read the
    text, and this failure is only reported if it cannot."""

    failure: ParseFailure


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation that prefers the longest word ("tisdagen" before "tisdag")."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w) for w in ordered) + ")"


@dataclass(frozen=True)
class _Vocab:
    """Everything language-specific: words, and the patterns built from them."""

    code: str
    single_days: dict[str, int]  # "tisdag", "tisdagen", "tis" -> 1
    plural_days: dict[str, int]  # "tisdagar", "tuesdays" -> 1 (these mean "every")
    past_days: dict[str, int]  # "tisdags" (as in "i tisdags") -> 1
    months: frozenset[str]
    numbers: dict[str, int]
    ordinals: dict[str, int]  # first..fifth, last (-1): the nth weekday of a month
    every_nth: dict[str, int]  # "varannan"/"every other" -> 2, "var tredje" -> 3
    filler: frozenset[str]
    rule_filler: frozenset[str]
    today: str
    tomorrow: str
    overmorrow: str
    yesterday: str
    vague: str  # "next week", "soon": no day named
    pm_today: str  # "ikväll", "tonight": today, afternoon/evening
    am_today: str
    pm_marker: str
    am_marker: str
    in_n: str  # "om" / "in"
    from_now: str  # "från nu" / "from now"
    ago: str  # regex for "N units ago" with (?P<n>) and (?P<unit>)
    units: dict[str, str]  # unit word -> relativedelta keyword
    next_word: str
    this_word: str
    last_word: str
    next_week: str
    recurring_marker: str
    weekday_set: str  # "vardagar", "weekdays"
    last_day: str  # "sista dagen", "last day"

    @property
    def day_word(self) -> str:
        return _alternation(self.single_days)

    def weekday(self, word: str) -> int | None:
        return self.single_days.get(word, self.plural_days.get(word))


@dataclass(frozen=True)
class _Ctx:
    """The moment of parsing, seen from the person's zone."""

    now: datetime  # aware UTC
    tz: str
    zone: ZoneInfo

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.zone).replace(tzinfo=None)

    @property
    def today(self) -> date:
        return self.local_now.date()


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """Naive local wall-clock time -> aware UTC.

    fold=0 follows RFC 5545: a time skipped by the spring-forward gap is read with the offset
    from before the gap (02:30 becomes 03:30 summer time), and a time that occurs twice in
    autumn means the first of the two.
    """
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


_PUNCTUATION = re.compile(r"[,;!?()\[\]{}\"“”„«»*_~]+")


def _normalise(text: str) -> str:
    """Case, width and punctuation noise removed; meaningful marks (/ : . -) kept."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.replace("’", "'").replace("–", "-").replace("—", "-")
    return _squash(_PUNCTUATION.sub(" ", folded)).strip(" .")


def _drop_words(text: str, words: frozenset[str]) -> str:
    return " ".join(w for w in text.split() if w not in words)


def _number(word: str, vocab: _Vocab) -> int | None:
    if word.isascii() and word.isdigit() and len(word) <= 3:
        return int(word)
    return vocab.numbers.get(word)
