"""Natural-language meeting times in Swedish and English.

A mentee answers "when do you meet?" in free text ("nästa tisdag kl 15", "every other
Thursday at 4pm") and the bot must store one exact UTC instant, or a recurrence rule. A
misread meeting is worse than a follow-up question, so this module is deliberately strict:
anything it cannot read with confidence becomes a `ParseFailure` the flow can answer
("which day?", "that time has passed", "did you mean 3 December or 12 March?").

How the work is split, and why:

- Our own small grammar, per language, reads times of day, relative days, weekdays,
  numeric dates and recurrences. dateparser 1.5 gets most of these wrong in Swedish (it does
  not know "kl 15", "nästa tisdag", "på måndag", "i övermorgon"; it reads "3/12" as 12 March,
  "den 15:e" as the year 2115 and "tisdag 3" as 25 March) and some in English ("in 3 days at
  11" drops the time, "the 15th" lands in the past).
- dateparser, with explicit languages and our zone, reads what it is good at: dates with a
  month name ("den 3:e december", "Dec 3rd", "3rd of December 2026") and a few relative
  phrases ("förra veckan", "a week from now"). Its answer is checked against the numbers in
  the text before it is trusted.
- All calendar arithmetic happens on naive local wall-clock time; `_to_utc` attaches the
  zone at the very end. Recurrences are expanded the same way, so a 16:00 meeting stays at
  16:00 local across daylight-saving changes while its UTC instant moves by an hour.
"""

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

MAX_TEXT_LENGTH = 200
"""Longer texts are not a date someone typed; they are refused before any parsing."""

_MAX_AHEAD = timedelta(days=5 * 366)
"""A meeting further ahead than this is a misreading (or a typo), never a plan."""

_RECENT_PAST = timedelta(days=31)
"""A day-month without a year that fell this recently is reported as past, not moved a year
ahead: "24/11" written on 25 November is a mistake to point out, not next November."""

_SCAN_LIMIT = 1500
"""Most rule occurrences looked at when searching for the first one (a daily rule needs one
per day; monthly rules on the 31st or a fifth weekday skip some months)."""


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


Result: TypeAlias = OneOff | Recurring | ParseFailure

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


_LangResult: TypeAlias = OneOff | Recurring | ParseFailure | _Unsure


# --------------------------------------------------------------------------- vocabulary

_SV_WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
_SV_WEEKDAY_ABBR = ("mån", "tis", "ons", "tors", "fre", "lör", "sön")
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EN_WEEKDAY_ABBR = (
    ("mon",),
    ("tue", "tues"),
    ("wed",),
    ("thu", "thur", "thurs"),
    ("fri",),
    ("sat",),
    ("sun",),
)
_RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


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


def _sv_vocab() -> _Vocab:
    single: dict[str, int] = {}
    plural: dict[str, int] = {}
    past: dict[str, int] = {}
    for i, stem in enumerate(_SV_WEEKDAYS):
        single[stem] = single[stem + "en"] = single[_SV_WEEKDAY_ABBR[i]] = i
        plural[stem + "ar"] = plural[stem + "arna"] = i
        past[stem + "s"] = i
    single["tor"] = 3
    numbers = {"en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6}
    numbers |= {"sju": 7, "åtta": 8, "nio": 9, "tio": 10, "elva": 11, "tolv": 12}
    return _Vocab(
        code="sv",
        single_days=single,
        plural_days=plural,
        past_days=past,
        months=frozenset(
            "januari februari mars april maj juni juli augusti september oktober november "
            "december jan feb mar apr jun jul aug sep sept okt nov dec".split()
        ),
        numbers=numbers,
        ordinals={"första": 1, "andra": 2, "tredje": 3, "fjärde": 4, "femte": 5}
        | {"1:a": 1, "2:a": 2, "3:e": 3, "4:e": 4, "5:e": 5, "sista": -1, "näst sista": -2},
        every_nth={"varannan": 2, "var annan": 2, "vartannat": 2, "var andra": 2}
        | {"var tredje": 3, "var fjärde": 4, "var femte": 5, "var sjätte": 6},
        filler=frozenset(
            "på kl kl. klockan vid runt ca cirka omkring ungefär ses vi träffas mötas "
            "möte mötet ok okej då så gärna".split()
        ),
        rule_filler=frozenset(
            "på och i av om den en gång kl kl. klockan vid ses vi träffas med start från "
            "varje alla".split()
        ),
        today=r"idag|i dag",
        tomorrow=r"i ?morgon|i ?morn|i ?morrn|i ?morron",
        overmorrow=r"(?:i )?övermorgon",
        yesterday=r"i ?går|i ?förrgår",
        vague=r"(?:i |under )?(?:nästa|kommande|den här|denna) (?:vecka|månad|år)"
        r"|i veckan|i helgen|snart|senare|någon gång",
        pm_today=r"\bi ?kväll\b|\bi eftermiddag\b",
        am_today=r"\bi förmiddag\b|\bi morse\b",
        pm_marker=r"\b(?:på )?(?:kvällen|kväll|eftermiddagen|eftermiddag)\b",
        am_marker=r"\b(?:på )?(?:morgonen|förmiddagen|förmiddag)\b|\bbitti\b",
        in_n="om",
        from_now=r"från (?:nu|idag|i dag)",
        ago=r"(?:för )?(?P<n>\S+) (?P<unit>\S+) sedan",
        units={"dag": "days", "dagar": "days", "vecka": "weeks", "veckor": "weeks"}
        | {"månad": "months", "månader": "months", "timme": "hours", "timmar": "hours"}
        | {"minut": "minutes", "minuter": "minutes", "min": "minutes"},
        next_word="nästa",
        this_word=r"denna|kommande|nu på|den här",
        last_word="förra",
        next_week=r"(?:i )?nästa vecka",
        recurring_marker=(
            r"\b(?:varje|varannan|var annan|vartannat|alla|dagligen|veckovis|månadsvis"
            r"|månatligen|vardagar)\b"
            r"|\bvar (?:[0-9]{1,2}(?::e|:a|e)?|andra|tredje|fjärde|femte|sjätte)\b"
            r"|\b(?:i|per|om) (?:varje )?(?:månaden|veckan)\b"
            r"|\b" + _alternation(plural) + r"\b"
        ),
        weekday_set=r"vardag|vardagar|vardagarna",
        last_day=r"(?:den )?sista dagen",
    )


def _en_vocab() -> _Vocab:
    single: dict[str, int] = {}
    plural: dict[str, int] = {}
    for i, name in enumerate(_EN_WEEKDAYS):
        single[name] = i
        for abbr in _EN_WEEKDAY_ABBR[i]:
            single[abbr] = i
        plural[name + "s"] = i
    numbers = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
    numbers |= {"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11}
    numbers |= {"twelve": 12}
    return _Vocab(
        code="en",
        single_days=single,
        plural_days=plural,
        past_days={},
        months=frozenset(
            "january february march april may june july august september october november "
            "december jan feb mar apr jun jul aug sep sept oct nov dec".split()
        ),
        numbers=numbers,
        ordinals={"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}
        | {"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "second last": -2},
        every_nth={"every other": 2, "every second": 2, "every 2nd": 2}
        | {"every third": 3, "every 3rd": 3, "every fourth": 4, "every 4th": 4},
        filler=frozenset(
            "on at the around about approx approximately ok okay let's lets meet "
            "meeting see you then".split()
        ),
        rule_filler=frozenset(
            "on and the of in at a once starting from each every meet meeting".split()
        ),
        today=r"today",
        tomorrow=r"tomorrow|tmrw|tmr|tomorow",
        overmorrow=r"day after tomorrow|overmorrow",
        yesterday=r"yesterday|day before yesterday",
        vague=r"(?:next|this|coming) (?:week|month|year)|later|soon|sometime|this weekend",
        pm_today=r"\btonight\b|\bthis (?:evening|afternoon)\b",
        am_today=r"\bthis morning\b",
        pm_marker=r"\b(?:in the )?(?:evening|afternoon)\b",
        am_marker=r"\b(?:in the )?morning\b",
        in_n="in",
        from_now=r"from (?:now|today)",
        ago=r"(?P<n>\S+) (?P<unit>\S+) ago",
        units={"day": "days", "days": "days", "week": "weeks", "weeks": "weeks"}
        | {"month": "months", "months": "months", "hour": "hours", "hours": "hours"}
        | {"hr": "hours", "hrs": "hours", "minute": "minutes", "minutes": "minutes"}
        | {"min": "minutes", "mins": "minutes"},
        next_word="next",
        this_word=r"this|coming|this coming",
        last_word="last",
        next_week=r"next week",
        recurring_marker=(
            r"\b(?:every|each|daily|weekly|biweekly|bi-weekly|fortnightly|monthly|weekdays)\b"
            r"|\b(?:of|in) (?:the|every|each) month\b|\b(?:once (?:a|per)|per) (?:week|month)\b"
            r"|\b" + _alternation(plural) + r"\b"
        ),
        weekday_set=r"weekday|weekdays",
        last_day=r"last day",
    )


_VOCABS: dict[str, _Vocab] = {"sv": _sv_vocab(), "en": _en_vocab()}


# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- time of day

_MERIDIEM = r"(?P<mer>a\.?m\.?|p\.?m\.?)(?![a-z])"
_RANGE_END = (
    r"(?:\s*(?:-|till|to|until)\s*[0-9]{1,2}(?:[:.][0-9]{2})?(?:\s*(?:a\.?m\.?|p\.?m\.?))?)?"
)
_SV_TIMES = (
    re.compile(
        r"(?:\bkl(?:ockan)?\.?\s*)?\b(?P<h>[0-9]{1,2})[:.](?P<m>[0-9]{2})\b(?![:./][0-9])"
        + _RANGE_END
    ),
    re.compile(r"\bkl(?:ockan)?\.?\s*(?P<h>[0-9]{1,2})\b(?![:./][0-9])" + _RANGE_END),
)
_EN_TIMES = (
    re.compile(
        r"\b(?:at\s+)?(?P<h>[0-9]{1,2})(?:[:.](?P<m>[0-9]{2}))?\s*" + _MERIDIEM + _RANGE_END
    ),
    re.compile(r"\b(?:at\s+)?(?P<h>[0-9]{1,2})[:.](?P<m>[0-9]{2})\b(?![:./][0-9])" + _RANGE_END),
    re.compile(r"\b(?:at\s+)?(?P<h>[0-9]{1,2})\s*o'?clock\b" + _RANGE_END),
    re.compile(r"\bat\s+(?P<h>[0-9]{1,2})\b(?![:./][0-9]|st|nd|rd|th)" + _RANGE_END),
    re.compile(r"\b(?:at\s+)?(?P<noon>noon|midday)\b"),
)
_MIDNIGHT = re.compile(r"\bmidnight\b|\bmidnatt\b")


@dataclass(frozen=True)
class _Clock:
    """A time of day read from the text, before the am/pm guess is applied."""

    hour: int
    minute: int
    fixed: bool  # am/pm given, or unmistakably 24-hour ("08:00", "15:30")


def _extract_time(text: str, vocab: _Vocab) -> tuple[_Clock | None, str] | ParseFailure:
    """Find the one time of day in `text`; return it and the text without it.

    Two different times ("kl 15 eller 16") are ambiguous; an impossible one ("kl 25") is
    unparseable rather than silently dropped.
    """
    if _MIDNIGHT.search(text):
        return _AMBIGUOUS  # which day's midnight is the classic off-by-one; ask instead
    found: list[_Clock] = []
    rest = text
    for pattern in _SV_TIMES if vocab.code == "sv" else _EN_TIMES:
        while match := pattern.search(rest):
            rest = _squash(rest[: match.start()] + " " + rest[match.end() :])
            groups = match.groupdict()
            if groups.get("noon"):
                found.append(_Clock(12, 0, fixed=True))
                continue
            hour = int(groups["h"])
            minute = int(groups["m"]) if groups.get("m") else 0
            meridiem = groups.get("mer")
            if meridiem:
                if not 1 <= hour <= 12 or minute > 59:
                    return _UNPARSEABLE
                hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
                found.append(_Clock(hour, minute, fixed=True))
                continue
            if hour > 23 or minute > 59:
                return _UNPARSEABLE
            leading_zero = groups["h"].startswith("0")
            fixed = vocab.code == "sv" or hour == 0 or hour > 12 or leading_zero
            found.append(_Clock(hour, minute, fixed=fixed))
    if len(set(found)) > 1:
        return _AMBIGUOUS
    return (found[0] if found else None), rest


def _time_of_day(clock: _Clock, *, pm: bool, am: bool, vocab: _Vocab) -> time:
    """Apply the am/pm reading.

    "kväll"/"evening" turns 1-11 into the afternoon. Without any marker, English 1-6 ("at 3")
    is read as pm: nobody books a mentoring meeting at three in the morning. Swedish is
    written on the 24-hour clock, so "kl 5" stays 05:00.
    """
    hour = clock.hour
    if pm and 1 <= hour <= 11 and not (clock.fixed and vocab.code == "en"):
        hour += 12
    elif not clock.fixed and not am and 1 <= hour <= 6:
        hour += 12
    return time(hour, clock.minute)


def _extract_markers(text: str, vocab: _Vocab) -> tuple[str, bool, bool]:
    """Morning/evening words: "ikväll" is today-in-the-evening, "kväll" just the evening."""
    pm = am = False
    if re.search(vocab.pm_today, text):
        pm = True
        text = re.sub(vocab.pm_today, f" {vocab.today.split('|')[0]} ", text)
    if re.search(vocab.am_today, text):
        am = True
        text = re.sub(vocab.am_today, f" {vocab.today.split('|')[0]} ", text)
    if re.search(vocab.pm_marker, text):
        pm = True
        text = re.sub(vocab.pm_marker, " ", text)
    if re.search(vocab.am_marker, text):
        am = True
        text = re.sub(vocab.am_marker, " ", text)
    return _squash(text), pm, am


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class _NoDate:
    """Only a time was given: today."""


@dataclass(frozen=True)
class _OnDay:
    day: date


@dataclass(frozen=True)
class _NextWeekday:
    """A weekday name: the next such day, today included only if the time is still ahead.

    `strict` ("nästa tisdag", "next Tuesday") means the next one strictly after today.
    `ask_if_tomorrow`: Swedish "nästa" for tomorrow's weekday may mean the week after.
    """

    weekday: int
    strict: bool
    ask_if_tomorrow: bool = False


@dataclass(frozen=True)
class _After:
    """ "om 2 timmar" / "in 30 minutes": a moment, not a day."""

    delta: timedelta


_DateSpec: TypeAlias = _NoDate | _OnDay | _NextWeekday | _After
_DateResult: TypeAlias = _DateSpec | ParseFailure | _Unsure
_Handler: TypeAlias = Callable[[re.Match[str], _Vocab, _Ctx], _DateResult]


def _resolve_day_month(day: int, month: int, today: date) -> date | None:
    """The date a day and month without a year mean: the next one, unless one just passed
    (see `_RECENT_PAST`). Looks a few years ahead so 29 February finds a leap year."""
    candidates: list[date] = []
    for year in range(today.year - 1, today.year + 9):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    recent = [c for c in candidates if today - _RECENT_PAST <= c < today]
    if recent:
        return max(recent)
    future = [c for c in candidates if c >= today]
    return min(future) if future else None


def _next_month_day(day: int, today: date) -> date | None:
    """ "den 15:e" / "the 15th": the next such day of a month, today included."""
    for offset in range(13):
        month_start = today.replace(day=1) + relativedelta(months=offset)
        try:
            candidate = month_start.replace(day=day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _check_weekday(spec: _DateResult, word: str | None, vocab: _Vocab) -> _DateResult:
    """ "tisdag den 3 december" when the 3rd is a Thursday: one of the two is wrong, so ask."""
    if word and isinstance(spec, _OnDay) and spec.day.weekday() != vocab.weekday(word):
        return _AMBIGUOUS
    return spec


def _h_offset(days: int) -> _Handler:
    def handler(match: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateResult:
        return _OnDay(ctx.today + timedelta(days=days))

    return handler


def _h_relative(match: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    n = _number(match["n"], vocab)
    unit = vocab.units.get(match["unit"])
    if n is None or unit is None:
        return _UNPARSEABLE
    if unit in ("hours", "minutes"):
        return _After(timedelta(**{unit: n}))
    if unit == "months":
        return _OnDay(ctx.today + relativedelta(months=n))
    return _OnDay(ctx.today + timedelta(**{unit: n}))


def _h_ago(match: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    known = _number(match["n"], vocab) is not None and match["unit"] in vocab.units
    return _PAST if known else _UNPARSEABLE


def _h_weekday(strict: bool) -> _Handler:
    def handler(match: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateResult:
        weekday = vocab.weekday(match["wd"])
        if weekday is None:
            return _UNPARSEABLE
        return _NextWeekday(weekday, strict, ask_if_tomorrow=strict and vocab.code == "sv")

    return handler


def _h_next_week_day(match: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    """ "tisdag nästa vecka": the Tuesday of the coming Monday-to-Sunday week."""
    weekday = vocab.weekday(match["wd"])
    if weekday is None:
        return _UNPARSEABLE
    next_monday = ctx.today + timedelta(days=7 - ctx.today.weekday())
    return _OnDay(next_monday + timedelta(days=weekday))


def _h_past(match: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    """ "i tisdags", "förra tisdagen", "last Tuesday"."""
    return _PAST


def _h_numeric(match: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    """ "3/12" is day/month in Swedish. English writers use both orders, so 3/12 is ambiguous
    there unless a number is over 12 or both are equal (12/25 and 25/12 are both Christmas)."""
    a, b = int(match["a"]), int(match["b"])
    if vocab.code == "sv" or a > 12 >= b or a == b:
        day, month = a, b
    elif b > 12 >= a:
        day, month = b, a
    else:
        return _AMBIGUOUS
    spec: _DateResult
    year = match["y"]
    if year is None:
        resolved = _resolve_day_month(day, month, ctx.today) if 1 <= month <= 12 else None
        spec = _OnDay(resolved) if resolved else _AMBIGUOUS
    else:
        try:
            spec = _OnDay(date(int(year) + (2000 if len(year) == 2 else 0), month, day))
        except ValueError:
            spec = _AMBIGUOUS
    return _check_weekday(spec, match["wd"], vocab)


def _h_iso(match: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    spec: _DateResult
    try:
        spec = _OnDay(date(int(match["y"]), int(match["b"]), int(match["a"])))
    except ValueError:
        spec = _AMBIGUOUS
    return _check_weekday(spec, match["wd"], vocab)


def _h_month_day(match: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    found = _next_month_day(int(match["d"] or match["d2"]), ctx.today)
    return _check_weekday(_OnDay(found) if found else _AMBIGUOUS, match["wd"], vocab)


def _date_rules(vocab: _Vocab) -> list[tuple[re.Pattern[str], _Handler]]:
    """Our grammar for the day part, tried in order; each pattern must match the whole text."""
    wd = f"(?P<wd>{vocab.day_word})"
    opt_wd = f"(?:{wd} )?"
    units = _alternation(vocab.units)
    number = f"(?P<n>[0-9]{{1,3}}|{_alternation(vocab.numbers)})"
    rules: list[tuple[str, _Handler]] = [
        (vocab.today, _h_offset(0)),
        (vocab.tomorrow, _h_offset(1)),
        (vocab.overmorrow, _h_offset(2)),
        (vocab.yesterday, _h_past),
        (rf"{vocab.in_n} {number} (?P<unit>{units})", _h_relative),
        (rf"{number} (?P<unit>{units}) {vocab.from_now}", _h_relative),
        (vocab.ago, _h_ago),
        (rf"{wd} {vocab.next_week}", _h_next_week_day),
        (rf"{vocab.next_week} {wd}", _h_next_week_day),
        (rf"{vocab.next_word} {wd}", _h_weekday(strict=True)),
        (rf"{vocab.last_word} {wd}", _h_past),
        (rf"(?:(?:{vocab.this_word}) )?{wd}", _h_weekday(strict=False)),
        (
            rf"{opt_wd}(?:den )?(?P<a>[0-9]{{1,2}})/(?P<b>[0-9]{{1,2}})"
            rf"(?:[/ -](?P<y>[0-9]{{4}}|[0-9]{{2}}))?",
            _h_numeric,
        ),
        (rf"{opt_wd}(?P<y>[0-9]{{4}})-(?P<b>[0-9]{{1,2}})-(?P<a>[0-9]{{1,2}})", _h_iso),
    ]
    if vocab.past_days:
        rules.append((f"i {_alternation(vocab.past_days)}", _h_past))
    if vocab.code == "sv":
        day_of_month = r"den (?P<d>[0-9]{1,2})(?::e|:a)?|(?P<d2>[0-9]{1,2}):(?:e|a)"
    else:
        day_of_month = r"(?P<d>[0-9]{1,2})(?:st|nd|rd|th)(?P<d2>)"
    rules.append((f"{opt_wd}(?:{day_of_month})", _h_month_day))
    return [(re.compile(pattern), handler) for pattern, handler in rules]


_DATE_RULES = {code: _date_rules(vocab) for code, vocab in _VOCABS.items()}


def _dateparser_local(text: str, vocab: _Vocab, ctx: _Ctx) -> datetime | None:
    """dateparser's reading of `text` as naive local wall-clock time, or None.

    RELATIVE_BASE is local midnight so a date-only phrase comes back at 00:00 and any time
    dateparser found on its own shows up as non-midnight. TO_TIMEZONE is UTC and we convert
    to local with zoneinfo, because dateparser flips the sign of zones like Etc/GMT+5.
    """
    settings = {
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": ctx.tz,
        "TO_TIMEZONE": "UTC",
        "RELATIVE_BASE": datetime.combine(ctx.today, time(0)),
    }
    try:
        import dateparser  # imported on first use: it is slow to import (see warm_up)

        found = dateparser.parse(text, languages=[vocab.code], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input; never our caller's
        return None
    if found is None or found.tzinfo is None:
        return None
    try:
        return found.astimezone(ctx.zone).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return None


def _month_name_date(text: str, vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    """A date with a month name ("den 3:e december", "Dec 3rd", "3rd of December 2026").

    dateparser decides whether the words form a date at all and which month is meant (names
    and abbreviations in both languages); it returns None for "3 december lunch". The day
    comes from the text itself: with one small number next to a month name, that number is
    the day, and dateparser is not trusted with it ("29 februari" comes back as the 25th,
    "3 december 10" as the year 2110).
    """
    numbers = [int(n) for n in re.findall(r"[0-9]+", text)]
    years = [n for n in numbers if n >= 1000]
    days = [n for n in numbers if n < 1000]
    if len(days) != 1 or len(years) > 1:
        return _AMBIGUOUS  # "december" (which day?), "3 december 10" (day 10 or 10 o'clock?)
    found = _dateparser_local(text, vocab, ctx)
    if found is None:
        return _UNPARSEABLE
    day: date | None
    if years:
        try:
            day = date(years[0], found.month, days[0])
        except ValueError:
            day = None
    else:
        day = _resolve_day_month(days[0], found.month, ctx.today)
    names = [word for word in text.split() if vocab.weekday(word) is not None]
    if day is None or len(names) > 1:
        return _AMBIGUOUS
    return _check_weekday(_OnDay(day), names[0] if names else None, vocab)


def _names_a_day(text: str, vocab: _Vocab) -> bool:
    """Whether `text` has a weekday or a word like "imorgon" in this language."""
    if any(vocab.weekday(word) is not None for word in text.split()):
        return True
    days = "|".join((vocab.today, vocab.tomorrow, vocab.overmorrow))
    return re.search(rf"\b(?:{days})\b", text) is not None


def _fallback_date(text: str, vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    """Whatever our grammar did not recognise.

    Phrases with digits that got this far ("fredag 15", "i morgon 9") are exactly the ones
    dateparser misreads (25 March, the year 2115): ambiguous if they name a day, otherwise
    not a date at all. Digit-free phrases ("förra veckan", "a week from now") are left to
    dateparser.
    """
    if re.search(r"[0-9]", text):
        return _Unsure(_AMBIGUOUS) if _names_a_day(text, vocab) else _UNPARSEABLE
    found = _dateparser_local(text, vocab, ctx)
    if found is None:
        return _UNPARSEABLE
    if found.time() != time(0):
        return _Unsure(_AMBIGUOUS)  # a time of day we did not find ourselves; do not guess
    return _OnDay(found.date())


def _parse_date(text: str, vocab: _Vocab, ctx: _Ctx) -> _DateResult:
    """The day part of a phrase whose time of day has already been taken out."""
    text = _drop_words(text, vocab.filler)
    if not text:
        return _NoDate()
    for pattern, handler in _DATE_RULES[vocab.code]:
        match = pattern.fullmatch(text)
        if match:
            return handler(match, vocab, ctx)
    if re.fullmatch(vocab.vague, text):
        return _AMBIGUOUS  # "nästa vecka", "soon": no day named
    if re.fullmatch(r"[0-9/.:\- ]+|den [0-9/.:\- ]+", text):
        return _AMBIGUOUS  # "15/16", "31/2", "15-16", "5": numbers that are no date we know
    if any(word in vocab.months for word in re.split(r"[\s.]+", text)):
        return _month_name_date(text, vocab, ctx)
    return _fallback_date(text, vocab, ctx)


def _one_off(spec: _DateSpec, at: time | None, ctx: _Ctx) -> OneOff | ParseFailure:
    """Put a day and an optional time together into a future instant, or say why not."""
    today = ctx.today
    if isinstance(spec, _After):
        if at is not None:
            return _AMBIGUOUS  # "om 2 timmar kl 15"
        return OneOff((ctx.now + spec.delta).replace(second=0, microsecond=0), has_time=True)
    if isinstance(spec, _NoDate):
        if at is None:
            return _UNPARSEABLE
        day = today
    elif isinstance(spec, _NextWeekday):
        ahead = (spec.weekday - today.weekday()) % 7
        if ahead == 0 and (
            spec.strict or at is None or _to_utc(datetime.combine(today, at), ctx.zone) < ctx.now
        ):
            ahead = 7
        if spec.ask_if_tomorrow and ahead == 1:
            return _NEXT_OR_THIS
        day = today + timedelta(days=ahead)
    else:
        day = spec.day
    if day > today + _MAX_AHEAD:
        return _UNPARSEABLE
    if at is None:
        if day < today:
            return _PAST
        return OneOff(_to_utc(datetime.combine(day, time(0)), ctx.zone), has_time=False)
    start = _to_utc(datetime.combine(day, at), ctx.zone)
    return _PAST if start < ctx.now else OneOff(start, has_time=True)


# --------------------------------------------------------------------------- recurrences


@dataclass
class _RuleParts:
    """What a recurrence phrase said, slot by slot, before it becomes an RRULE."""

    freq: str | None = None
    interval: int | None = None
    weekdays: set[int] = field(default_factory=set)
    nth: set[tuple[int, int]] = field(default_factory=set)
    monthday: int | None = None
    conflict: bool = False

    def set_interval(self, interval: int | None, freq: str | None) -> None:
        if interval is not None:
            self.conflict |= self.interval not in (None, interval)
            self.interval = interval
        if freq is not None:
            self.conflict |= self.freq not in (None, freq)
            self.freq = freq


def _freq_of(unit: str) -> str:
    if unit.startswith(("dag", "day")):
        return "DAILY"
    if unit.startswith(("veck", "week")):
        return "WEEKLY"
    return "MONTHLY"


def _rule_patterns(vocab: _Vocab) -> dict[str, re.Pattern[str]]:
    """The recurrence grammar: interval-with-unit, monthly slots, interval-before-weekday."""
    day_forms = _alternation([*vocab.single_days, *vocab.plural_days])
    every_nth = _alternation(vocab.every_nth)
    ordinals = _alternation(vocab.ordinals)
    count = f"[0-9]{{1,2}}|{_alternation(vocab.numbers)}"
    if vocab.code == "sv":
        units = r"dag|dagar|vecka|veckor|månad|månader"
        every_unit = (
            rf"\b(?:(?:varje|alla)|(?P<nth>{every_nth})|var (?P<num>[0-9]{{1,2}})(?::e|:a|e)?)"
            rf" (?P<unit>{units})\b"
        )
        adverb = r"\b(?P<adverb>dagligen|veckovis|månadsvis|månatligen)\b"
        context = r"\b(?:i|per|om|av) (?:varje )?(?P<unit>månaden|veckan|månad)\b"
        nth_day = rf"\b(?:den )?(?:varje )?(?P<ord>{ordinals}) (?P<wd>{day_forms})\b"
        monthday = r"\b(?:den (?P<d>[0-9]{1,2})(?::e|:a)?|(?P<d2>[0-9]{1,2}):(?:e|a))(?![0-9])"
        every_day = (
            rf"\b(?:(?P<nth>{every_nth})|var (?P<num>[0-9]{{1,2}})(?::e|:a|e)?) (?={day_forms}\b)"
        )
    else:
        units = r"day|days|week|weeks|month|months"
        every_unit = (
            rf"\b(?:(?:every|each)|(?P<nth>{every_nth})|every (?P<num>{count}))"
            rf" (?P<unit>{units})\b"
        )
        adverb = r"\b(?P<adverb>daily|weekly|biweekly|bi-weekly|fortnightly|monthly)\b"
        context = r"\b(?:(?:of|in) (?:the|every|each)|once (?:a|per)|per) (?P<unit>month|week)\b"
        nth_day = rf"\b(?:the )?(?:every )?(?P<ord>{ordinals}) (?P<wd>{day_forms})\b"
        monthday = r"\b(?:the )?(?P<d>[0-9]{1,2})(?:st|nd|rd|th)\b|\bthe (?P<d2>[0-9]{1,2})\b"
        every_day = rf"\b(?P<nth>{every_nth}) (?P<num>)(?={day_forms}\b)"
    return {
        "every_unit": re.compile(every_unit),
        "adverb": re.compile(adverb),
        "context": re.compile(context),
        "nth_day": re.compile(nth_day),
        "monthday": re.compile(monthday),
        "last_day": re.compile(rf"\b(?:the )?{vocab.last_day}\b"),
        "every_day": re.compile(every_day),
        "weekday_set": re.compile(rf"\b(?:{vocab.weekday_set})\b"),
        "weekday": re.compile(rf"\b(?P<wd>{day_forms})\b"),
    }


_RULE_PATTERNS = {code: _rule_patterns(vocab) for code, vocab in _VOCABS.items()}
_ADVERBS = {
    "dagligen": (1, "DAILY"),
    "daily": (1, "DAILY"),
    "veckovis": (1, "WEEKLY"),
    "weekly": (1, "WEEKLY"),
    "biweekly": (2, "WEEKLY"),
    "bi-weekly": (2, "WEEKLY"),
    "fortnightly": (2, "WEEKLY"),
    "månadsvis": (1, "MONTHLY"),
    "månatligen": (1, "MONTHLY"),
    "monthly": (1, "MONTHLY"),
}


def _read_rule(text: str, vocab: _Vocab) -> _RuleParts | ParseFailure:
    """Fill the recurrence slots from `text`; every word must be used or be filler."""
    patterns = _RULE_PATTERNS[vocab.code]
    parts = _RuleParts()
    rest = text

    def take(name: str) -> list[re.Match[str]]:
        nonlocal rest
        found = list(patterns[name].finditer(rest))
        rest = _squash(patterns[name].sub(" ", rest))
        return found

    for match in take("every_unit"):
        if match["nth"]:
            interval: int | None = vocab.every_nth[match["nth"]]
        elif match["num"]:
            interval = _number(match["num"], vocab)
        else:
            interval = 1
        parts.set_interval(interval, _freq_of(match["unit"]))
    for match in take("adverb"):
        parts.set_interval(*_ADVERBS[match["adverb"]])
    for match in take("context"):
        parts.set_interval(None, _freq_of(match["unit"]))
    if parts.freq == "MONTHLY":
        for match in take("nth_day"):
            weekday = vocab.weekday(match["wd"])
            if weekday is not None:
                parts.nth.add((vocab.ordinals[match["ord"]], weekday))
        if take("last_day"):
            parts.monthday = -1
        for match in take("monthday"):
            day = int(match["d"] or match["d2"])
            parts.conflict |= parts.monthday not in (None, day) or not 1 <= day <= 31
            parts.monthday = day
    for match in take("every_day"):
        nth = match["nth"]
        parts.set_interval(vocab.every_nth[nth] if nth else _number(match["num"], vocab), None)
    if take("weekday_set"):
        parts.weekdays.update(range(5))
    for match in take("weekday"):
        weekday = vocab.weekday(match["wd"])
        if weekday is not None:
            parts.weekdays.add(weekday)
    if _drop_words(rest, vocab.rule_filler):
        return _UNPARSEABLE
    if parts.conflict or (parts.interval is not None and not 1 <= parts.interval <= 52):
        return _AMBIGUOUS
    return parts


def _rrule_value(parts: _RuleParts, at: time | None, *, interval: int) -> str | ParseFailure:
    """The RRULE for the filled slots, or why the slots do not make one rule."""
    fields = []
    if parts.nth:
        if parts.weekdays or parts.monthday is not None or parts.freq not in (None, "MONTHLY"):
            return _AMBIGUOUS
        byday = ",".join(f"{n}{_RRULE_DAYS[d]}" for n, d in sorted(parts.nth))
        fields = ["FREQ=MONTHLY", f"BYDAY={byday}"]
    elif parts.monthday is not None:
        if parts.weekdays or parts.freq != "MONTHLY":
            return _AMBIGUOUS
        fields = ["FREQ=MONTHLY", f"BYMONTHDAY={parts.monthday}"]
    elif parts.weekdays:
        if parts.freq not in (None, "WEEKLY"):
            return _AMBIGUOUS  # "every Tuesday every month"
        fields = [
            "FREQ=WEEKLY",
            "BYDAY=" + ",".join(_RRULE_DAYS[d] for d in sorted(parts.weekdays)),
        ]
    elif parts.freq == "DAILY":
        fields = ["FREQ=DAILY"]
    elif parts.freq in ("WEEKLY", "MONTHLY"):
        return _MISSING_DAY  # "varje vecka", "every month": on which day?
    else:
        return _AMBIGUOUS
    if interval > 1:
        fields.insert(1, f"INTERVAL={interval}")
    if at is not None:
        fields += [f"BYHOUR={at.hour}", f"BYMINUTE={at.minute}"]
    return ";".join(fields)


def _recurring(text: str, at: time | None, vocab: _Vocab, ctx: _Ctx) -> Recurring | ParseFailure:
    """A recurrence phrase as a rule plus its first occurrence at or after now.

    The first occurrence is searched with the interval left out: "varannan torsdag" starts on
    the coming Thursday, and that Thursday then fixes which weeks are "every other".
    """
    parts = _read_rule(text, vocab)
    if isinstance(parts, ParseFailure):
        return parts
    value = _rrule_value(parts, at, interval=parts.interval or 1)
    probe = _rrule_value(parts, at, interval=1)
    if value == _MISSING_DAY or probe == _MISSING_DAY:
        return _MISSING_DAY
    if isinstance(value, ParseFailure) or isinstance(probe, ParseFailure):
        return _AMBIGUOUS
    start = datetime.combine(ctx.today, time(0))
    for wall in itertools.islice(_expand(probe, start), _SCAN_LIMIT):
        if wall.date() > ctx.today + _MAX_AHEAD:
            break
        instant = _to_utc(wall, ctx.zone)
        # strictly after now: a rule typed at the very time it names starts next time
        if (instant > ctx.now) if at is not None else (wall.date() > ctx.today):
            return Recurring(first=instant, rrule=value, tz=ctx.tz, has_time=at is not None)
    return _UNPARSEABLE


def _expand(value: str, dtstart: datetime) -> rrule:
    rule = rrulestr(value, dtstart=dtstart)
    if not isinstance(rule, rrule):  # only for texts with several rules, which we never make
        raise ValueError(f"not a single RRULE: {value!r}")
    return rule


# --------------------------------------------------------------------------- public API


def _parse_in(text: str, vocab: _Vocab, ctx: _Ctx) -> _LangResult:
    """Read normalised `text` with one language's grammar."""
    text, pm, am = _extract_markers(text, vocab)
    if pm and am:
        return _AMBIGUOUS
    extracted = _extract_time(text, vocab)
    if isinstance(extracted, ParseFailure):
        return extracted
    clock, rest = extracted
    at = _time_of_day(clock, pm=pm, am=am, vocab=vocab) if clock else None
    if re.search(vocab.recurring_marker, rest):
        return _recurring(rest, at, vocab, ctx)
    spec = _parse_date(rest, vocab, ctx)
    if isinstance(spec, ParseFailure | _Unsure):
        return spec
    return _one_off(spec, at, ctx)


def parse_when(
    text: str, *, now: datetime, tz: str, lang: str
) -> OneOff | Recurring | ParseFailure:
    """Read a meeting time written by a person in zone `tz` who writes in `lang`.

    The person's language is tried first, then the other one (people mix them). A confident
    verdict in the first language ("past", "ambiguous") stands, so that "3/12" from an English
    writer is asked about rather than quietly read the Swedish way. Never raises on any text.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        return ParseFailure("too_long") if isinstance(text, str) else _UNPARSEABLE
    ctx = _Ctx(now=now.astimezone(UTC), tz=tz, zone=ZoneInfo(tz))
    normalised = _normalise(text)
    if not normalised:
        return _UNPARSEABLE
    primary = "en" if lang.casefold().startswith("en") else "sv"
    unsure: ParseFailure | None = None
    for code in (primary, "sv" if primary == "en" else "en"):
        result = _parse_in(normalised, _VOCABS[code], ctx)
        if isinstance(result, _Unsure):
            unsure = unsure or result.failure
        elif not (isinstance(result, ParseFailure) and result.reason == "unparseable"):
            return result
    return unsure or _UNPARSEABLE


def occurrences(rule: Recurring, *, after: datetime, count: int) -> list[datetime]:
    """The next `count` occurrences strictly after `after`, as aware UTC.

    Expanded on naive local time and converted one by one, so 16:00 stays 16:00 local when
    the clocks change and the UTC instant moves instead.
    """
    if count <= 0:
        return []
    zone = ZoneInfo(rule.tz)
    first_wall = rule.first.astimezone(zone).replace(tzinfo=None)
    # With BYHOUR in the rule, start the expansion at midnight so a first occurrence that was
    # moved by a spring-forward gap (02:30 -> 03:30) does not drag later ones with it.
    timed = "BYHOUR=" in rule.rrule.upper()
    dtstart = datetime.combine(first_wall.date(), time(0)) if timed else first_wall
    from_wall = max(dtstart, after.astimezone(zone).replace(tzinfo=None) - timedelta(days=2))
    found: list[datetime] = []
    for wall in _expand(rule.rrule, dtstart).xafter(from_wall, inc=True):
        instant = _to_utc(wall, zone)
        if instant > after and instant >= rule.first:
            found.append(instant)
            if len(found) == count:
                break
    return found


def with_time(result: OneOff | Recurring, hour: int, minute: int, tz: str) -> OneOff | Recurring:
    """Give a day-only result the time the person gave in a separate message.

    The day is kept as seen in `tz`; for a rule, `tz` becomes its anchor zone. The caller
    checks the result against its clock: this function does not know "now".
    """
    at = time(hour, minute)  # raises ValueError for an impossible time: a caller bug
    zone = ZoneInfo(tz)
    if isinstance(result, OneOff):
        day = result.start.astimezone(zone).date()
        return OneOff(_to_utc(datetime.combine(day, at), zone), has_time=True)
    day = result.first.astimezone(zone).date()
    fields = [
        f
        for f in result.rrule.split(";")
        if f and f.split("=")[0].upper() not in ("BYHOUR", "BYMINUTE", "BYSECOND")
    ]
    value = ";".join([*fields, f"BYHOUR={hour}", f"BYMINUTE={minute}"])
    return Recurring(_to_utc(datetime.combine(day, at), zone), value, tz, has_time=True)


def warm_up() -> None:
    """Pay dateparser's lazy loading (language data, regex compilation; about 0.2 s) at
    start-up instead of in the first person's reply."""
    now = datetime.now(UTC)
    parse_when("den 3 december kl 10", now=now, tz="Europe/Stockholm", lang="sv")
    parse_when("December 3 at 10am", now=now, tz="Europe/Stockholm", lang="en")
