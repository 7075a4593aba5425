"""What a mentor and a mentee have in common, and where they differ, in words.

The guide: find aspects where you are alike — and differences can help.  So
a suggestion names both, in the organiser's language, and the introduction
names what the two share in each person's own language.  Facts are computed
once (:func:`facts`) as content keys with parameters, then rendered per
language (:func:`render`), so the same facts read naturally in sv and en.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.content import Content
from bot.matching.profile import STAGE_LEVELS, Profile, fold, language_name

Fact = tuple[str, dict[str, object]]


@dataclass(frozen=True)
class Facts:
    common: list[Fact]
    differences: list[Fact]


def facts(mentor: Profile, mentee: Profile) -> Facts:
    common: list[Fact] = []
    diffs: list[Fact] = []
    shared_langs = sorted(mentor.languages & mentee.languages)
    if shared_langs:
        common.append(("language", {"languages": shared_langs}))
    if mentor.field and fold(mentor.field) == fold(mentee.field):
        common.append(("field", {"field": mentor.field}))
    elif mentor.field and mentee.field:
        diffs.append(("field", {"mentor_field": mentor.field, "mentee_field": mentee.field}))
    covered = sorted(mentee.support & mentor.support)
    if covered:
        common.append(("support", {"areas": covered}))
    missing = sorted(mentee.support - mentor.support)
    if missing:
        diffs.append(("support", {"areas": missing}))
    if mentor.stage and mentor.stage == mentee.stage:
        common.append(("stage", {"stage": mentor.stage}))
    elif mentor.stage in STAGE_LEVELS and mentee.stage in STAGE_LEVELS:
        diffs.append(("stage", {"mentor_stage": mentor.stage, "mentee_stage": mentee.stage}))
    hours = abs(mentor.utc_offset - mentee.utc_offset)
    if hours < 1:
        common.append(("timezone", {}))
    else:
        diffs.append(("timezone", {"hours": round(hours, 1) if hours % 1 else int(hours)}))
    if mentor.mode == mentee.mode:
        common.append(("mode", {"mode": mentor.mode}))
    else:
        diffs.append(("mode", {"mentor_mode": mentor.mode, "mentee_mode": mentee.mode}))
    in_person = "online" not in (mentor.mode, mentee.mode)
    if in_person and mentor.city and fold(mentor.city) == fold(mentee.city):
        common.append(("city", {"city": mentor.city}))
    return Facts(common, diffs)


def _support_labels(content: Content, lang: str) -> dict[str, str]:
    return {o.id: o.text(lang) for o in content.agreement.support_options}


def _words(
    content: Content, lang: str, params: dict[str, object], mentor: str, mentee: str
) -> dict[str, object]:
    """A fact's parameters as words in ``lang`` (language names, support labels...)."""
    labels = _support_labels(content, lang)
    words: dict[str, object] = {"mentor": mentor, "mentee": mentee}
    for name, value in params.items():
        if name == "languages" and isinstance(value, list):
            words[name] = ", ".join(language_name(str(c), lang) for c in value)
        elif name == "areas" and isinstance(value, list):
            words[name] = ", ".join(labels.get(str(a), str(a)).lower() for a in value)
        elif name.endswith("stage"):
            words[name] = content.t(lang, f"matching.stage.{value}")
        elif name.endswith("mode"):
            words[name] = content.t(lang, f"matching.mode.{value}")
        else:
            words[name] = value
    return words


def render(
    content: Content, lang: str, found: Facts, mentor: str, mentee: str
) -> tuple[list[str], list[str]]:
    """(what they share, where they differ) as short phrases in ``lang``."""
    common = [
        content.t(lang, f"matching.common.{kind}", **_words(content, lang, p, mentor, mentee))
        for kind, p in found.common
    ]
    diffs = [
        content.t(lang, f"matching.diff.{kind}", **_words(content, lang, p, mentor, mentee))
        for kind, p in found.differences
    ]
    return common, diffs
