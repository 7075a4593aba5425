"""How often and how long, read from what people type after "Annat"/"Other".

The bot's own examples are words ("var tredje vecka", "var tionde dag",
"varannan månad", "en timme"), so words must work as well as digits: a
number or an ordinal, then a unit.  Swedish and English are both read, since
people mix them.
"""

from __future__ import annotations

import re

#: cardinal and ordinal words -> number ("var tredje" = every third)
NUMBER_WORDS = {
    "en": 1, "ett": 1, "one": 1, "a": 1, "an": 1,
    "två": 2, "andra": 2, "two": 2, "second": 2, "other": 2, "varannan": 2, "vartannat": 2,
    "tre": 3, "tredje": 3, "three": 3, "third": 3,
    "fyra": 4, "fjärde": 4, "four": 4, "fourth": 4,
    "fem": 5, "femte": 5, "five": 5, "fifth": 5,
    "sex": 6, "sjätte": 6, "six": 6, "sixth": 6,
    "sju": 7, "sjunde": 7, "seven": 7, "seventh": 7,
    "åtta": 8, "åttonde": 8, "eight": 8, "eighth": 8,
    "nio": 9, "nionde": 9, "nine": 9, "ninth": 9,
    "tio": 10, "tionde": 10, "ten": 10, "tenth": 10,
    "elva": 11, "elfte": 11, "eleven": 11, "eleventh": 11,
    "tolv": 12, "tolfte": 12, "twelve": 12, "twelfth": 12,
    "fjorton": 14, "fjortonde": 14, "fourteen": 14, "fourteenth": 14,
    "tjugo": 20, "tjugonde": 20, "twenty": 20, "twentieth": 20,
    "trettio": 30, "trettionde": 30, "thirty": 30, "thirtieth": 30,
    "fyrtio": 40, "forty": 40, "fyrtiofem": 45, "femtio": 50, "fifty": 50,
    "sextio": 60, "sixty": 60, "nittio": 90, "ninety": 90,
}  # fmt: skip

#: "every week" without a number means one
_EVERY = re.compile(r"\b(varje|var|vart|every|each)\b")
_DAYS_PER = (("veck", 7), ("week", 7), ("månad", 30), ("month", 30), ("dag", 1), ("day", 1))


def _amount(text: str) -> float | None:
    """The first number in ``text``, in digits or words ("1,5", "tredje", "en och en halv")."""
    digits = re.search(r"\d+(?:[.,]\d+)?", text)
    if digits:
        return float(digits[0].replace(",", "."))
    one_and_a_half = re.search(r"\boch en halv\b|\band a half\b", text)
    if not one_and_a_half and re.search(r"\b(en )?halv ?(timme|tim)|\bhalf an? hour", text):
        return 0.5
    for word in re.findall(r"[a-zåäö]+", text):
        if word in NUMBER_WORDS:
            value = float(NUMBER_WORDS[word])
            if one_and_a_half:
                value += 0.5
            return value
    return None


def parse_days(text: str) -> int | None:
    """ "var tredje vecka", "var tionde dag", "varannan månad", "every 3 weeks",
    "10 dagar", "21" -> days between meetings (3 to 120)."""
    t = text.lower().strip()
    amount = _amount(t)
    if amount is None and _EVERY.search(t):
        amount = 1.0
    if amount is None:
        return None
    for unit, days in _DAYS_PER:
        if unit in t:
            amount *= days
            break
    number = round(amount)
    return number if 3 <= number <= 120 else None


def parse_minutes(text: str) -> int | None:
    """ "40", "1,5 timme", "en timme", "en och en halv timme", "an hour",
    "half an hour" -> minutes (10 to 240)."""
    t = text.lower().strip()
    if re.search(r"\ben kvart\b|\ba quarter\b", t) and not re.search(r"tim|hour", t):
        return None  # 15 minutes is below the shortest meeting
    value = _amount(t)
    if value is None:
        if re.search(r"\b(timme|hour)\b", t):
            value = 1.0
        else:
            return None
    if re.search(r"tim|hour|\bh\b", t):
        value *= 60
    minutes = round(value)
    return minutes if 10 <= minutes <= 240 else None
