"""The parser's words, per language: Swedish and English weekdays, months, numbers, phrases.

Each language fills one ``_Vocab``; the grammar in the other parser modules
is the same for both and reads only from these."""

from __future__ import annotations

from bot.time.parse_base import (
    _alternation,
    _Vocab,
)

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
