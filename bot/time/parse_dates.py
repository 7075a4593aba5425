"""Reading a day ("nästa tisdag", "3/12", "in three days") with our own grammar, per language.

Each rule is a pattern and a handler that turns its match into a day spec:
none named, one day, the next given weekday, or some days after another.  Dates
with a month name are left to dateparser in :mod:`bot.time.parsing`."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeAlias

from dateutil.relativedelta import relativedelta

from bot.time.parse_base import (
    _AMBIGUOUS,
    _PAST,
    _RECENT_PAST,
    _UNPARSEABLE,
    ParseFailure,
    _alternation,
    _Ctx,
    _number,
    _Unsure,
    _Vocab,
)
from bot.time.vocabulary import _VOCABS


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
    """

    weekday: int
    strict: bool
    #: Swedish "nästa" for tomorrow's weekday may mean the week after: ask
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


@functools.cache
def _date_rules_for(code: str) -> list[tuple[re.Pattern[str], _Handler]]:
    """A language's day grammar, compiled on first use (or by the warm-up after
    ready): compiling both languages' patterns at import slowed every start."""
    return _date_rules(_VOCABS[code])
