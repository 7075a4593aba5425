"""Reading the time of day ("kl 15", "at 4pm", "halv tre") and the markers around it.

A time that could be morning or afternoon is ambiguous and asked about, never
guessed."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import time

from bot.time.parse_base import (
    _AMBIGUOUS,
    _UNPARSEABLE,
    ParseFailure,
    _squash,
    _Vocab,
)

_MERIDIEM = r"(?P<mer>a\.?m\.?|p\.?m\.?)(?![a-z])"


_RANGE_END = (
    r"(?:\s*(?:-|till|to|until)\s*[0-9]{1,2}(?:[:.][0-9]{2})?(?:\s*(?:a\.?m\.?|p\.?m\.?))?)?"
)


@functools.cache
def _time_patterns(code: str) -> tuple[re.Pattern[str], ...]:
    """A language's times of day, compiled on first use (or by the warm-up after
    ready) rather than at import, on the way to ready."""
    if code == "sv":
        return (
            re.compile(
                r"(?:\bkl(?:ockan)?\.?\s*)?\b(?P<h>[0-9]{1,2})[:.](?P<m>[0-9]{2})\b(?![:./][0-9])"
                + _RANGE_END
            ),
            re.compile(r"\bkl(?:ockan)?\.?\s*(?P<h>[0-9]{1,2})\b(?![:./][0-9])" + _RANGE_END),
        )
    return (
        re.compile(
            r"\b(?:at\s+)?(?P<h>[0-9]{1,2})(?:[:.](?P<m>[0-9]{2}))?\s*" + _MERIDIEM + _RANGE_END
        ),
        re.compile(
            r"\b(?:at\s+)?(?P<h>[0-9]{1,2})[:.](?P<m>[0-9]{2})\b(?![:./][0-9])" + _RANGE_END
        ),
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
    for pattern in _time_patterns(vocab.code):
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
