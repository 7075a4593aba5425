"""Choosing what a mentor or mentee is shown: coaching questions, tips and prompts.

Pure functions over the content banks and what the person was shown before,
so the rules can be read (and tested) without a database:

* a question fits the mentee's support needs ("any" fits everyone) and the
  programme phase of the meeting, and is never shown to the same mentor twice;
* a mentor's earlier verdicts steer later choices: purposes and needs she
  found useful are preferred, ones she asked to replace are avoided;
* ties are broken by a stable hash, so two mentors do not march through the
  bank in the same order, yet a test run is reproducible.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from bot.content import NEEDS, PHASES, Question, Tip

#: how much one earlier verdict moves the preference for a purpose or a need
VERDICT_WEIGHT = {"useful": 2.0, "more": -2.0, "later": 0.0}
#: a question written for one of the mentee's needs beats a general one a little
SPECIFIC_BONUS = 0.5
#: the first meeting of a pair opens; later meetings need not
OPENING_BONUS = 1.5
#: spread questions over several needs instead of dwelling on one
REPEAT_NEED_PENALTY = 0.3
JITTER = 0.2

#: qualities of tips that only make sense for some groups
ONLINE_QUALITY = "online"
GROUP_QUALITY = "group"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Shown:
    """One earlier showing of a bank item to this person, with her verdict."""

    item_id: str
    verdict: str | None = None


def phase_of(day: date, start: date, end: date) -> str:
    """start, middle or end: which third of the programme ``day`` falls in."""
    length = (end - start).days
    if length <= 0:
        return PHASES[0]
    position = (day - start).days / length
    index = min(max(int(position * len(PHASES)), 0), len(PHASES) - 1)
    return PHASES[index]


def known_needs(needs: Iterable[str]) -> set[str]:
    """The mentee's chosen support areas; none chosen yet means all the usual ones."""
    chosen = {n for n in needs if n in NEEDS}
    return chosen or {n for n in NEEDS if n != "other"}


def fits(question: Question, needs: set[str], phase: str) -> bool:
    return phase in question.phase and (
        "any" in question.needs or bool(needs & set(question.needs))
    )


def choose_questions(
    questions: Sequence[Question],
    *,
    needs: Iterable[str],
    phase: str,
    shown: Sequence[Shown],
    seed: str,
    first_meeting: bool = False,
    count: int = 1,
) -> list[Question]:
    """Up to ``count`` fresh questions for this mentee and phase, best first.

    A second question, if asked for, has a different purpose when one exists,
    so the pair gets both an opening and a way forward.
    """
    wanted = known_needs(needs)
    by_id = {q.id: q for q in questions}
    seen = {s.item_id for s in shown}
    purpose_pref: defaultdict[str, float] = defaultdict(float)
    need_pref: defaultdict[str, float] = defaultdict(float)
    need_seen: Counter[str] = Counter()
    for s in shown:
        q = by_id.get(s.item_id)
        if q is None:
            continue
        weight = VERDICT_WEIGHT.get(s.verdict or "", 0.0)
        purpose_pref[q.purpose] += weight
        for need in q.needs:
            # The needs are the mentee's; a replaced question says nothing against them.
            need_pref[need] += max(weight, 0.0)
            need_seen[need] += 1

    def score(q: Question) -> float:
        specific = wanted & set(q.needs)
        value = purpose_pref[q.purpose]
        if specific:
            value += SPECIFIC_BONUS
            value += max(need_pref[n] for n in specific)
            value -= REPEAT_NEED_PENALTY * min(need_seen[n] for n in specific)
        if first_meeting and q.purpose == "opening":
            value += OPENING_BONUS
        return value + JITTER * _unit(seed, q.id)

    candidates = sorted(
        (q for q in questions if q.id not in seen and fits(q, wanted, phase)),
        key=score,
        reverse=True,
    )
    chosen: list[Question] = []
    for q in candidates:
        if len(chosen) == count:
            break
        if chosen and any(c.purpose == q.purpose for c in chosen):
            continue
        chosen.append(q)
    for q in candidates:  # not enough distinct purposes: fill up with the best left
        if len(chosen) == count:
            break
        if q not in chosen:
            chosen.append(q)
    return chosen


def choose_tip(
    tips: Sequence[Tip],
    *,
    phase: str,
    shown: Iterable[str],
    online: bool,
    circle: bool,
    seed: str,
) -> Tip | None:
    """A tip for this phase the mentor has not had, of a quality she has had least."""
    seen = set(shown)
    had = Counter(t.quality for t in tips if t.id in seen)

    def usable(t: Tip) -> bool:
        if t.quality == ONLINE_QUALITY and not online:
            return False
        if t.quality == GROUP_QUALITY and not circle:
            return False
        return phase in t.phase and t.id not in seen

    candidates = [t for t in tips if usable(t)]
    if not candidates:
        return None
    return min(candidates, key=lambda t: (had[t.quality], _unit(seed, t.id)))


def next_in_cycle(items: Sequence[T], shown: Sequence[str], ident: str = "id") -> T | None:
    """The first item not shown yet; when all were, the one shown longest ago.

    Used for journal and preparation prompts: fresh ones first, and a gentle
    repeat only once the whole bank has been used.
    """
    last_seen = {item_id: n for n, item_id in enumerate(shown)}
    ranked = sorted(
        enumerate(items), key=lambda pair: (last_seen.get(getattr(pair[1], ident), -1), pair[0])
    )
    return ranked[0][1] if ranked else None


def _unit(seed: str, item_id: str) -> float:
    digest = hashlib.sha256(f"{seed}:{item_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32
