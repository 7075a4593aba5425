"""Suggestions as data (``--json``) and as text, in the organiser's language.

The same dictionary feeds ``mentorbot match suggest`` and ``/match`` in chat::

    {"matches": [{"mentor": "Anna", "mentees": ["Bea"], "score": 81.5,
                  "common": [...], "differences": [...], "pairs": [...]}],
     "unmatched": [{"name": "Cleo", "role": "mentee", "reason": "no_language",
                    "why": "no mentor with a shared language"}],
     "summary": {"mentees": 2, "matched": 1, "total_score": 81.5}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.content import Content
from bot.matching.explain import facts, render
from bot.matching.scoring import Weights
from bot.matching.solver import Solution, solve
from bot.matching.store import Pool
from bot.store.models import Programme


def weights_for(programme: Programme, overrides: Mapping[str, object] | None = None) -> Weights:
    """Default weights, then the programme's ``match_weights`` setting, then ``overrides``."""
    stored = (programme.settings or {}).get("match_weights") or {}
    return Weights().updated(stored).updated(overrides or {})


def suggest(pool: Pool, weights: Weights) -> Solution:
    return solve(pool.mentors, pool.mentees, weights, pins=pool.pins, forbidden=pool.forbidden)


def suggestion_data(pool: Pool, solution: Solution, content: Content, lang: str) -> dict[str, Any]:
    matches = []
    for s in solution.matches:
        pairs: list[dict[str, Any]] = []
        for mentee, score in zip(s.mentees, s.scores, strict=True):
            found = facts(s.mentor, mentee)
            common, diffs = render(content, lang, found, s.mentor.name, mentee.name)
            pairs.append(
                {
                    "mentee": mentee.name,
                    "mentee_id": mentee.key,
                    "score": score,
                    "common": common,
                    "differences": diffs,
                    "pinned": mentee.key in s.pinned,
                    "hopes": mentee.hopes,
                }
            )
        several = len(pairs) > 1
        matches.append(
            {
                "mentor": s.mentor.name,
                "mentor_id": s.mentor.key,
                "mentees": [p["mentee"] for p in pairs],
                "score": s.score,
                "common": [
                    (f"{p['mentee']}: {c}" if several else c) for p in pairs for c in p["common"]
                ],
                "differences": [
                    (f"{p['mentee']}: {d}" if several else d)
                    for p in pairs
                    for d in p["differences"]
                ],
                "pairs": pairs,
            }
        )
    unmatched = [
        {
            "name": u.profile.name,
            "role": u.profile.role,
            "reason": u.reason,
            "why": content.t(lang, f"matching.reason.{u.reason}"),
        }
        for u in solution.unmatched
    ]
    unmatched += [
        {
            "name": name,
            "role": role,
            "reason": reason,
            "why": content.t(lang, f"matching.reason.{reason}"),
        }
        for name, role, reason in pool.waiting
    ]
    return {
        "programme": pool.programme.slug,
        "matches": matches,
        "unmatched": unmatched,
        "summary": {
            "mentees": len(pool.mentees),
            "matched": solution.matched_mentees,
            "total_score": solution.total_score,
        },
    }


def match_text(content: Content, lang: str, match: dict[str, Any]) -> str:
    lines = [
        content.t(
            lang,
            "matching.suggest.match",
            mentor=match["mentor"],
            mentees=", ".join(match["mentees"]),
            score=match["score"],
        )
    ]
    for pair in match["pairs"]:
        if len(match["pairs"]) > 1:
            lines.append(
                content.t(lang, "matching.suggest.pair", mentee=pair["mentee"], score=pair["score"])
            )
        if pair["common"]:
            lines.append(
                content.t(lang, "matching.suggest.common", items="; ".join(pair["common"]))
            )
        if pair["differences"]:
            lines.append(
                content.t(lang, "matching.suggest.diff", items="; ".join(pair["differences"]))
            )
        if pair.get("hopes"):
            lines.append(
                content.t(lang, "matching.suggest.hopes", name=pair["mentee"], hopes=pair["hopes"])
            )
        if pair["pinned"]:
            lines.append(content.t(lang, "matching.suggest.pinned"))
    return "\n".join(lines)


def head_text(content: Content, lang: str, name: str, data: dict[str, Any]) -> str:
    summary = data["summary"]
    if not data["matches"]:
        return content.t(lang, "matching.suggest.none")
    return content.t(
        lang,
        "matching.suggest.head",
        programme=name,
        matched=summary["matched"],
        mentees=summary["mentees"],
        score=summary["total_score"],
    )


def unmatched_text(content: Content, lang: str, data: dict[str, Any]) -> str | None:
    if not data["unmatched"]:
        return None
    lines = [content.t(lang, "matching.suggest.unmatched_head")]
    for u in data["unmatched"]:
        lines.append(
            content.t(
                lang,
                "matching.suggest.unmatched",
                name=u["name"],
                role=content.t(lang, f"roles.{u['role']}"),
                reason=u["why"],
            )
        )
    return "\n".join(lines)
