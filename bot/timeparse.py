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

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

import dateparser
from dateutil.relativedelta import relativedelta

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

    reason: Literal["unparseable", "ambiguous", "past", "too_long"]


Result: TypeAlias = OneOff | Recurring | ParseFailure

_UNPARSEABLE = ParseFailure("unparseable")
_AMBIGUOUS = ParseFailure("ambiguous")
_PAST = ParseFailure("past")


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


def _alternation(words: object) -> str:
    """A regex alternation that prefers the longest word ("tisdagen" before "tisdag")."""
    ordered = sorted(set(words), key=len, reverse=True)  # type: ignore[call-overload]
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
            "på kl kl. klockan vid runt ca cirka omkring ungefär från ses vi träffas mötas "
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
            "on at the around about approx approximately from ok okay let's lets meet "
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
            r"|\b(?:of|in) (?:the|every|each) month\b|\b(?:a|per) (?:week|month)\b"
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
    """ "tisdag": the next Tuesday, today included if the time is still ahead; `strict`
    ("nästa tisdag", "next Tuesday") never means today."""

    weekday: int
    strict: bool


@dataclass(frozen=True)
class _After:
    """ "om 2 timmar": a moment, not a day."""

    delta: timedelta


_DateSpec: TypeAlias = _NoDate | _OnDay | _NextWeekday | _After


def _resolve_day_month(day: int, month: int, today: date) -> date | None:
    """The date a day-month without a year means: the next one, unless one just passed.

    Looks a few years ahead so 29 February finds the next leap year.
    """
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
        first = (today.replace(day=1)) + relativedelta(months=offset)
        try:
            candidate = first.replace(day=day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _numeric_date(
    a: int, b: int, year: str | None, vocab: _Vocab, today: date
) -> _DateSpec | ParseFailure:
    """ "3/12": day/month in Swedish. In English both orders are in use, so 3/12 is ambiguous
    unless one number is over 12 or both are equal; 12/25 and 25/12 are both Christmas."""
    if vocab.code == "sv" or a > 12 >= b or a == b:
        day, month = a, b
    elif b > 12 >= a:
        day, month = b, a
    else:
        return _AMBIGUOUS
    if year is None:
        if not 1 <= month <= 12:
            return _AMBIGUOUS
        resolved = _resolve_day_month(day, month, today)
        return _OnDay(resolved) if resolved else _AMBIGUOUS
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return _OnDay(date(full_year, month, day))
    except ValueError:
        return _AMBIGUOUS


def _check_weekday(
    spec: _DateSpec | ParseFailure, word: str | None, vocab: _Vocab
) -> _DateSpec | ParseFailure:
    """ "tisdag den 3 december" when the 3rd is a Thursday: one of the two is wrong."""
    if word and isinstance(spec, _OnDay) and spec.day.weekday() != vocab.weekday(word):
        return _AMBIGUOUS
    return spec


def _dateparser_day(text: str, vocab: _Vocab, ctx: _Ctx) -> datetime | None:
    """dateparser's reading of `text` as local wall-clock time, or None.

    RELATIVE_BASE is local midnight so a date-only phrase comes back at 00:00 and a time it
    found on its own shows up as a non-midnight result. We convert to local time ourselves
    (TO_TIMEZONE is UTC) because dateparser flips the sign of zones like Etc/GMT+5.
    """
    base = datetime.combine(ctx.today, time(0))
    settings = {
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": ctx.tz,
        "TO_TIMEZONE": "UTC",
        "RELATIVE_BASE": base,
    }
    try:
        found = dateparser.parse(text, languages=[vocab.code], settings=settings)  # type: ignore[arg-type]
    except Exception:  # dateparser raises assorted errors on odd input; never our caller's problem
        return None
    if found is None or found.tzinfo is None:
        return None
    return found.astimezone(ctx.zone).replace(tzinfo=None)


def _month_name_date(text: str, vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure | _Unsure:
    """A date with a month name, read by dateparser and checked against the text's numbers."""
    numbers = [int(n) for n in re.findall(r"[0-9]+", text)]
    if not numbers:
        return _AMBIGUOUS  # "december": which day?
    found = _dateparser_day(text, vocab, ctx)
    if found is None:
        return _UNPARSEABLE
    years = [n for n in numbers if n >= 1000]
    others = [n for n in numbers if n < 1000]
    if others != [found.day] or (years and years != [found.year]) or len(years) > 1:
        return _AMBIGUOUS  # e.g. "3 december 10" (dateparser: year 2110), "29 februari" (25th)
    if years:
        day: date | None = found.date()
    else:
        day = _resolve_day_month(found.day, found.month, ctx.today)
    if day is None:
        return _AMBIGUOUS
    names = [w for w in text.split() if vocab.weekday(w) is not None]
    if len(names) > 1:
        return _AMBIGUOUS
    return _check_weekday(_OnDay(day), names[0] if names else None, vocab)


def _fallback_date(text: str, vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure | _Unsure:
    """Whatever our grammar did not recognise. Phrases with digits that reached this far
    ("fredag 15", "i morgon 9") are exactly what dateparser misreads, so they are ambiguous;
    digit-free phrases ("förra veckan", "a week from now") are left to dateparser."""
    if re.search(r"[0-9]", text):
        return _Unsure(_AMBIGUOUS)
    found = _dateparser_day(text, vocab, ctx)
    if found is None:
        return _UNPARSEABLE
    if found.time() != time(0):
        return _Unsure(_AMBIGUOUS)  # a time we did not find ourselves; do not guess
    return _OnDay(found.date())


def _parse_date(text: str, vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure | _Unsure:
    """The day part of a phrase whose time of day has already been removed."""
    text = _drop_words(text, vocab.filler)
    today = ctx.today
    if not text:
        return _NoDate()
    wd = f"(?P<wd>{vocab.day_word})"
    for pattern, handler in _date_rules(vocab):
        match = re.fullmatch(pattern, text)
        if match:
            return handler(match, vocab, ctx)
    if re.fullmatch(vocab.vague, text):
        return _AMBIGUOUS
    if re.fullmatch(rf"(?:{wd} )?(?:den )?[0-9/.:\- ]+", text):
        return _AMBIGUOUS  # "15/16", "31/2", "15-16": numbers that are no date we know
    if any(word in vocab.months for word in re.split(r"[\s.]+", text)):
        return _month_name_date(text, vocab, ctx)
    del today
    return _fallback_date(text, vocab, ctx)


_Handler: TypeAlias = Callable[[re.Match[str], _Vocab, _Ctx], "_DateSpec | ParseFailure | _Unsure"]


def _h_offset(days: int) -> _Handler:
    return lambda m, v, c: _OnDay(c.today + timedelta(days=days))


def _h_relative(m: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure:
    n = _number(m["n"], vocab)
    unit = vocab.units.get(m["unit"])
    if n is None or unit is None:
        return _UNPARSEABLE
    if unit in ("hours", "minutes"):
        return _After(timedelta(**{unit: n}))
    return _OnDay(ctx.today + relativedelta(**{unit: n}))  # type: ignore[arg-type]


def _h_ago(m: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure:
    n = _number(m["n"], vocab)
    if n is None or m["unit"] not in vocab.units:
        return _UNPARSEABLE
    return _PAST


def _h_weekday(strict: bool) -> _Handler:
    return lambda m, v, c: _NextWeekday(v.weekday(m["wd"]) or 0, strict)


def _h_next_week_day(m: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateSpec:
    monday = ctx.today - timedelta(days=ctx.today.weekday()) + timedelta(days=7)
    return _OnDay(monday + timedelta(days=vocab.weekday(m["wd"]) or 0))


def _h_last_weekday(m: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure:
    return _PAST


def _h_numeric(m: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure:
    spec = _numeric_date(int(m["a"]), int(m["b"]), m["y"], vocab, ctx.today)
    return _check_weekday(spec, m["wd"], vocab)


def _h_iso(m: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure:
    try:
        spec: _DateSpec | ParseFailure = _OnDay(date(int(m["y"]), int(m["b"]), int(m["a"])))
    except ValueError:
        return _AMBIGUOUS
    return _check_weekday(spec, m["wd"], vocab)


def _h_month_day(m: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure:
    found = _next_month_day(int(m["d"]), ctx.today)
    spec: _DateSpec | ParseFailure = _OnDay(found) if found else _AMBIGUOUS
    return _check_weekday(spec, m["wd"], vocab)


def _date_rules(vocab: _Vocab) -> list[tuple[str, _Handler]]:
    """Our grammar for the day part, tried in order, each pattern matching the whole text."""
    wd = f"(?P<wd>{vocab.day_word})"
    opt_wd = f"(?:{wd} )?"
    units = _alternation(vocab.units)
    number = r"(?P<n>[0-9]{1,3}|" + _alternation(vocab.numbers) + ")"
    rules: list[tuple[str, _Handler]] = [
        (vocab.today, _h_offset(0)),
        (vocab.tomorrow, _h_offset(1)),
        (vocab.overmorrow, _h_offset(2)),
        (vocab.yesterday, _h_offset(-1)),
        (rf"{vocab.in_n} {number} (?P<unit>{units})", _h_relative),
        (vocab.ago, _h_ago),
        (rf"{wd} {vocab.next_week}|{vocab.next_week} {wd}", _h_next_week_day),
        (rf"{vocab.next_word} {wd}", _h_weekday(strict=True)),
        (rf"{vocab.last_word} {wd}", _h_last_weekday),
        (rf"(?:(?:{vocab.this_word}) )?{wd}", _h_weekday(strict=False)),
        (
            rf"{opt_wd}(?:den )?(?P<a>[0-9]{{1,2}})/(?P<b>[0-9]{{1,2}})"
            rf"(?:(?:/| |-)(?P<y>[0-9]{{4}}|[0-9]{{2}}))?",
            _h_numeric,
        ),
        (rf"{opt_wd}(?P<y>[0-9]{{4}})-(?P<b>[0-9]{{1,2}})-(?P<a>[0-9]{{1,2}})", _h_iso),
    ]
    if vocab.past_days:
        rules.append((rf"i {_alternation(vocab.past_days)}", _h_last_weekday))
    if vocab.code == "sv":
        rules.append(
            (
                rf"{opt_wd}(?:den (?P<d>[0-9]{{1,2}})(?::e|:a)?|(?P<d2>[0-9]{{1,2}}):(?:e|a))",
                _h_sv_month_day,
            )
        )
    else:
        rules.append((rf"{opt_wd}(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)", _h_month_day))
    return rules


def _h_sv_month_day(m: re.Match[str], vocab: _Vocab, ctx: _Ctx) -> _DateSpec | ParseFailure:
    found = _next_month_day(int(m["d"] or m["d2"]), ctx.today)
    spec: _DateSpec | ParseFailure = _OnDay(found) if found else _AMBIGUOUS
    return _check_weekday(spec, m["wd"], vocab)
