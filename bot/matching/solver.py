"""The assignment: most mentees matched first, then the highest total score.

Why a solver and not a loop: a greedy loop that gives each mentee in turn the
best free mentor can take the only mentor a later mentee could have had, and
strand that mentee although everybody fits (``tests/unit/test_matching_solver``
has such a case).  Organisers care first that nobody is left out.

How: each mentor is repeated once per free place ("capacity slots") and
:func:`scipy.optimize.linear_sum_assignment` (the Hungarian method, exact,
polynomial) picks the assignment of mentees to slots with the largest total
weight.  A possible pair weighs ``BIG + score`` where ``BIG`` is larger than
any total score could be, so one more matched mentee always outweighs any gain
in compatibility: the result matches as many mentees as any assignment can,
and among those has the best total score.  Blocked pairs weigh nothing and are
dropped afterwards.

Pins (an organiser's "these two, whatever the score") are placed first, if
the pair is allowed and the mentor has room; forbidden pairs are blocked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from bot.matching.profile import Profile
from bot.matching.scoring import CITY, LANGUAGE, MODE, Evaluation, Weights, evaluate


@dataclass
class Suggestion:
    """A mentor with the mentees suggested for them (several when capacity allows)."""

    mentor: Profile
    mentees: list[Profile] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    pinned: set[int] = field(default_factory=set)  # mentee keys placed by a pin

    @property
    def score(self) -> float:
        return round(sum(self.scores), 1)


@dataclass(frozen=True)
class Unmatched:
    profile: Profile
    #: no_mentors | no_language | no_mode | no_city | no_compatible | capacity
    #: (mentees); no_mentee_fits | spare (mentors)
    reason: str


@dataclass
class Solution:
    matches: list[Suggestion]
    unmatched: list[Unmatched]

    @property
    def matched_mentees(self) -> int:
        return sum(len(s.mentees) for s in self.matches)

    @property
    def total_score(self) -> float:
        return round(sum(s.score for s in self.matches), 1)

    def pairs(self) -> set[tuple[int, int]]:
        """(mentor key, mentee key) of every suggested pair."""
        return {(s.mentor.key, e.key) for s in self.matches for e in s.mentees}


def solve(
    mentors: Sequence[Profile],
    mentees: Sequence[Profile],
    weights: Weights | None = None,
    *,
    pins: Iterable[tuple[int, int]] = (),
    forbidden: Iterable[tuple[int, int]] = (),
) -> Solution:
    weights = weights or Weights()
    ev = evaluate(mentors, mentees, weights, forbidden)
    capacity = np.array([max(p.capacity, 0) for p in mentors], dtype=np.int64)
    assigned: dict[int, list[tuple[int, float, bool]]] = {}  # mentor col -> (row, score, pinned)
    taken = np.zeros(len(mentees), dtype=bool)
    col = {p.key: j for j, p in enumerate(mentors)}
    row = {p.key: i for i, p in enumerate(mentees)}
    for mentor_key, mentee_key in pins:
        i, j = row.get(mentee_key), col.get(mentor_key)
        if i is None or j is None or taken[i] or capacity[j] <= 0 or not ev.feasible[i, j]:
            continue
        taken[i] = True
        capacity[j] -= 1
        assigned.setdefault(j, []).append((i, float(ev.scores[i, j]), True))

    free_rows = np.flatnonzero(~taken)
    slot_cols = np.repeat(np.arange(len(mentors)), capacity)
    if free_rows.size and slot_cols.size:
        sub_ok = ev.feasible[np.ix_(free_rows, slot_cols)]
        sub_score = ev.scores[np.ix_(free_rows, slot_cols)]
        big = weights.total * (min(free_rows.size, slot_cols.size) + 1) + 1.0
        weight = np.where(sub_ok, big + sub_score, 0.0)
        rows, slots = linear_sum_assignment(weight, maximize=True)
        for r, s in zip(rows, slots, strict=True):
            if sub_ok[r, s]:
                i, j = int(free_rows[r]), int(slot_cols[s])
                taken[i] = True
                assigned.setdefault(j, []).append((i, float(ev.scores[i, j]), False))
    return _solution(mentors, mentees, ev, assigned, taken, capacity)


def greedy(
    mentors: Sequence[Profile], mentees: Sequence[Profile], weights: Weights | None = None
) -> Solution:
    """The baseline a spreadsheet would do: each mentee in turn gets the best free mentor.

    Kept for the benchmark and the tests that show where it falls short.
    """
    weights = weights or Weights()
    ev = evaluate(mentors, mentees, weights)
    capacity = np.array([max(p.capacity, 0) for p in mentors], dtype=np.int64)
    assigned: dict[int, list[tuple[int, float, bool]]] = {}
    taken = np.zeros(len(mentees), dtype=bool)
    for i in range(len(mentees)):
        options = np.where(ev.feasible[i] & (capacity > 0), ev.scores[i], -1.0)
        if options.size == 0 or options.max() < 0:
            continue
        j = int(options.argmax())
        capacity[j] -= 1
        taken[i] = True
        assigned.setdefault(j, []).append((i, float(ev.scores[i, j]), False))
    return _solution(mentors, mentees, ev, assigned, taken, capacity)


def _solution(
    mentors: Sequence[Profile],
    mentees: Sequence[Profile],
    ev: Evaluation,
    assigned: dict[int, list[tuple[int, float, bool]]],
    taken: np.ndarray,
    capacity: np.ndarray,
) -> Solution:
    matches = []
    for j in sorted(assigned):
        s = Suggestion(mentors[j])
        for i, score, pinned in sorted(assigned[j]):
            s.mentees.append(mentees[i])
            s.scores.append(round(score, 1))
            if pinned:
                s.pinned.add(mentees[i].key)
        matches.append(s)
    unmatched = [
        Unmatched(mentees[int(i)], _mentee_reason(ev, int(i))) for i in np.flatnonzero(~taken)
    ]
    for j, mentor in enumerate(mentors):
        if j in assigned or mentor.capacity <= 0:
            continue
        fits = bool(ev.feasible[:, j].any()) if len(mentees) else False
        unmatched.append(Unmatched(mentor, "spare" if fits else "no_mentee_fits"))
    return Solution(matches, unmatched)


def _mentee_reason(ev: Evaluation, i: int) -> str:
    blockers = ev.blockers[i]
    if blockers.size == 0:
        return "no_mentors"
    if (blockers == LANGUAGE).all():
        return "no_language"
    if ev.feasible[i].any():
        return "capacity"
    counts = Counter(int(b) for b in blockers if b != LANGUAGE)
    if set(counts) <= {MODE, CITY}:
        return "no_city" if CITY in counts else "no_mode"
    return "no_compatible"
