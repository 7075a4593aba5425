"""Participants may be of any gender: content never calls them "she" or "he".

``mentorbot content check`` (and start-up) runs this over every sentence in
both languages, strings and banks alike. Sentences are written around names and
roles ("fråga {name} hur det går", "ask your mentee"); where a pronoun cannot be
avoided Swedish uses "hen" and English "they". A word list is enough here: the
content is ours and short, and a false alarm is mended by rephrasing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

#: gendered third-person pronouns, per language, as whole words
GENDERED = {
    "sv": ("hon", "henne", "hennes", "han", "honom", "hans"),
    "en": ("she", "her", "hers", "herself", "he", "him", "his", "himself"),
}
_PATTERNS = {
    lang: re.compile(r"(?<![\w'’])(" + "|".join(map(re.escape, words)) + r")(?!\w)", re.I)
    for lang, words in GENDERED.items()
}


def gendered_words(lang: str, text: str) -> list[str]:
    """The gendered pronouns in ``text`` (empty when it is written neutrally)."""
    pattern = _PATTERNS.get(lang)
    if pattern is None:
        return []
    normalised = text.replace("’", "'")
    return [m.group(1) for m in pattern.finditer(normalised)]


def bank_texts(banks: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(file, key, lang, text) for every sv/en text in the bilingual banks."""
    for name, bank in banks.items():
        for section, items in bank:
            if not isinstance(items, list):
                continue
            for item in items:
                ident = getattr(item, "id", None)
                for lang in GENDERED:
                    text = getattr(item, lang, None)
                    if isinstance(text, str):
                        yield f"{name}.yaml", f"{section}[{ident}].{lang}", lang, text


def findings(
    strings: dict[str, dict[str, str]],
    sources: dict[str, dict[str, str]],
    banks: dict[str, Any],
) -> Iterable[tuple[str, str, str]]:
    """(file, key, message) for every sentence that genders a participant."""
    for lang, table in strings.items():
        for key, text in table.items():
            words = gendered_words(lang, text)
            if words:
                yield sources[lang].get(key, f"{lang}/"), key, _message(words)
    for file, key, lang, text in bank_texts(banks):
        words = gendered_words(lang, text)
        if words:
            yield file, key, _message(words)


def _message(words: list[str]) -> str:
    listed = ", ".join(sorted({w.lower() for w in words}))
    return f"gendered pronoun ({listed}): write around the name or role, or use hen/they"
