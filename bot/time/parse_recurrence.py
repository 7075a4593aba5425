"""Reading recurrences ("varannan torsdag", "every first Monday of the month") into RRULEs.

Recurrences are expanded on naive local wall-clock time and the zone attached
at the end, so a 16:00 meeting stays at 16:00 across daylight-saving changes."""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, time

from dateutil.rrule import rrule, rrulestr

from bot.time.parse_base import (
    _AMBIGUOUS,
    _MAX_AHEAD,
    _MISSING_DAY,
    _SCAN_LIMIT,
    _UNPARSEABLE,
    ParseFailure,
    Recurring,
    _alternation,
    _Ctx,
    _drop_words,
    _number,
    _squash,
    _to_utc,
    _Vocab,
)
from bot.time.vocabulary import _VOCABS

_RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


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


@functools.cache
def _rule_patterns_for(code: str) -> dict[str, re.Pattern[str]]:
    """A language's recurrence grammar, compiled on first use (or by the
    warm-up after ready), not at import on the way to ready."""
    return _rule_patterns(_VOCABS[code])


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
    patterns = _rule_patterns_for(vocab.code)
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
