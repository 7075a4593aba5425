"""Numbers, lists and dates inside sentences, the way people write them.

Content holds whole sentences; this module fills their gaps so that they read
naturally in each language:

* plural agreement ("1 överenskommelse klar", "2 överenskommelser klara") from
  CLDR's plural rules through Babel — a content key with ``one``/``other``
  variants is picked by :func:`plural`;
* lists joined as people join them ("Greta, Hanna och Ines") with Babel;
* dates in prose ("1 juni 2027", "1 June 2027"), never ISO strings;
* ordinals: Swedish "var tredje vecka", "den 1:a", "var 21:a dag"; English
  "the 1st". Words come from num2words for one to twelve, where its Swedish is
  right (it writes "tjugode" for 20th, so larger numbers stay numeric); the
  Swedish numeric suffix (":a" after 1 and 2 except 11 and 12, else ":e") is a
  two-line rule written here because no library we use has it;
* a meeting rhythm in words ("varannan vecka", "var tionde dag",
  "every 10 days").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from num2words import num2words

from bot.content import Content

#: up to this number Swedish ordinals are written as words ("tionde")
SV_ORDINAL_WORDS_UP_TO = 12
#: named rhythms, in days, with their own wording in content (rhythm.freq.*)
NAMED_FREQUENCIES = {7: "weekly", 14: "biweekly", 30: "monthly"}


def plural_category(lang: str, n: int) -> str:
    """CLDR plural category of ``n`` in ``lang`` ("one", "other", ...)."""
    return str(Locale.parse(lang).plural_form(n))


def plural(content: Content, lang: str, key: str, n: int, /, **params: object) -> str:
    """The variant of ``key`` that agrees with ``n`` (``key.one``, ``key.other``...).

    ``n`` is passed to the sentence as ``{n}``; a category the language lacks in
    content falls back to ``other``.
    """
    variant = f"{key}.{plural_category(lang, n)}"
    if not content.has(variant):
        variant = f"{key}.other"
    return content.t(lang, variant, n=n, **params)


def join_names(lang: str, names: Iterable[str]) -> str:
    """ "Greta, Hanna och Ines" / "Greta, Hanna and Ines"."""
    items = [n for n in names if n]
    if not items:
        return ""
    return str(format_list(items, locale=_locale(lang)))


def group_label(names: list[str]) -> str:
    """A pair's or circle's default name in every language: "Anna & Bea", "Greta, Hanna & Ines".

    It is stored once and read by organisers of either language, so it uses the
    ampersand both languages share instead of "och"/"and".
    """
    if len(names) <= 2:
        return " & ".join(names)
    return ", ".join(names[:-1]) + " & " + names[-1]


def prose_date(lang: str, day: date) -> str:
    """ "1 juni 2027" / "1 June 2027": a date as it is written in a sentence."""
    return str(format_date(day, "d MMMM y", locale=_locale(lang)))


def ordinal_word(lang: str, n: int) -> str:
    """ "tredje" / "third" for small numbers; numeric beyond (see module doc)."""
    if lang == "sv":
        if 1 <= n <= SV_ORDINAL_WORDS_UP_TO:
            return str(num2words(n, lang="sv", to="ordinal"))
        return ordinal_number(lang, n)
    return str(num2words(n, lang="en", to="ordinal"))


def ordinal_number(lang: str, n: int) -> str:
    """ "1:a", "3:e", "21:a" / "1st", "3rd", "21st"."""
    if lang == "sv":
        suffix = "a" if n % 10 in (1, 2) and n % 100 not in (11, 12) else "e"
        return f"{n}:{suffix}"
    return str(num2words(n, lang="en", to="ordinal_num"))


def frequency_phrase(content: Content, lang: str, days: int) -> str:
    """A rhythm in words: "varje vecka", "var tredje vecka", "var tionde dag"."""
    if days in NAMED_FREQUENCIES:
        return content.t(lang, f"rhythm.freq.{NAMED_FREQUENCIES[days]}")
    if days % 7 == 0:
        weeks = days // 7
        return content.t(lang, "rhythm.freq.every_weeks", n=weeks, nth=ordinal_word(lang, weeks))
    return content.t(lang, "rhythm.freq.every_days", n=days, nth=ordinal_word(lang, days))


def _locale(lang: str) -> str:
    # The bot's English is British: the day first ("1 June 2027"), no serial comma.
    return "en_GB" if lang == "en" else lang
