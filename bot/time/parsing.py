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

The parts: ``parse_base`` (results, failures, text helpers), ``vocabulary`` (the
words of each language), ``parse_clock`` (times of day), ``parse_dates`` (our
grammar for days), ``parse_recurrence`` (recurrences); this module adds
dateparser for month names and is the one to import: ``parse_when``,
``occurrences``, ``with_time``.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

from bot.time.parse_base import (
    _AMBIGUOUS,
    _MAX_AHEAD,
    _NEXT_OR_THIS,
    _PAST,
    _UNPARSEABLE,
    OneOff,
    ParseFailure,
    Recurring,
    _Ctx,
    _drop_words,
    _normalise,
    _to_utc,
    _Unsure,
    _Vocab,
)
from bot.time.parse_clock import _extract_markers, _extract_time, _time_of_day
from bot.time.parse_dates import (
    _After,
    _check_weekday,
    _date_rules_for,
    _DateResult,
    _DateSpec,
    _NextWeekday,
    _NoDate,
    _OnDay,
    _resolve_day_month,
)
from bot.time.parse_recurrence import _expand, _recurring
from bot.time.vocabulary import _VOCABS

MAX_TEXT_LENGTH = 200
"""Longer texts are not a date someone typed; they are refused before any parsing."""

"""A meeting further ahead than this is a misreading (or a typo), never a plan."""

"""A day-month without a year that fell this recently is reported as past, not moved a year
ahead: "24/11" written on 25 November is a mistake to point out, not next November."""

"""Most rule occurrences looked at when searching for the first one (a daily rule needs one
per day; monthly rules on the 31st or a fifth weekday skip some months)."""


Result: TypeAlias = OneOff | Recurring | ParseFailure


_LangResult: TypeAlias = OneOff | Recurring | ParseFailure | _Unsure


# --------------------------------------------------------------------------- dates


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
    for pattern, handler in _date_rules_for(vocab.code):
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
            spec.strict or at is None or _to_utc(datetime.combine(today, at), ctx.zone) <= ctx.now
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
    # a meeting cannot start the very minute it is typed: that time has passed
    return _PAST if start <= ctx.now else OneOff(start, has_time=True)


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
    start-up instead of in the first person's reply, and load what the words of
    replies need (Babel's data, num2words, icalendar) and our own date, time
    and rhythm grammars, which load or compile on first use so that they are
    not on the way to ready."""
    from bot.time.calendar import _vtimezone_ical
    from bot.wording import ordinal_word, plural_category, prose_date

    for lang in ("sv", "en"):
        plural_category(lang, 2)
        prose_date(lang, datetime.now(UTC).date())
        ordinal_word(lang, 3)
    _vtimezone_ical("Europe/Stockholm")
    now = datetime.now(UTC)
    parse_when("den 3 december kl 10", now=now, tz="Europe/Stockholm", lang="sv")
    parse_when("December 3 at 10am", now=now, tz="Europe/Stockholm", lang="en")
    # our own grammars (dates, times, rhythms) compile on first use too
    parse_when("varannan tisdag kl 10", now=now, tz="Europe/Stockholm", lang="sv")
    parse_when("every other Tuesday at 10am", now=now, tz="Europe/Stockholm", lang="en")
