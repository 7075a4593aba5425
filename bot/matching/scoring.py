"""Hard constraints and the compatibility score, for every mentee-mentor pair at once.

The score is built from parts an organiser can weigh (:class:`Weights`); each
part is worth at most its weight, so the total lies between 0 and
``weights.total``.  The parts, in the guide's spirit (learn the mentee's needs
first; find aspects where you are alike; differences can help):

* support — the share of the mentee's wanted support the mentor offers;
* field — the same field;
* stage — the mentor a step or more ahead (a third of the weight when level);
* time zone — full when equal, nothing at six hours or more apart;
* mode — the same meeting mode (half when one is hybrid);
* city — the same city when they could meet in person.

A pair is *blocked* (never suggested) without a shared language, when either
named the other to avoid, when one wants face-to-face and the other online
only, or face-to-face in different cities, or when an organiser forbade it.
Everything is computed as numpy matrices so that 2,000 x 500 pairs cost
milliseconds; :func:`pair_score` runs the same code for a single pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from bot.matching.profile import MODES, STAGE_LEVELS, Profile, fold

#: blocker codes in the matrix returned by :func:`evaluate`
OK, LANGUAGE, MODE, CITY, AVOID, FORBIDDEN = range(6)
BLOCKER_NAMES = {LANGUAGE: "language", MODE: "mode", CITY: "city", AVOID: "avoid"}
BLOCKER_NAMES[FORBIDDEN] = "forbidden"
TZ_ZERO_HOURS = 6.0
ONLINE, FACE_TO_FACE, HYBRID = (MODES.index(m) for m in ("online", "face_to_face", "hybrid"))


@dataclass(frozen=True)
class Weights:
    """How much each part of the score is worth (points)."""

    support: float = 40.0
    field: float = 20.0
    stage: float = 15.0
    timezone: float = 10.0
    mode: float = 10.0
    city: float = 5.0

    @property
    def total(self) -> float:
        return sum(getattr(self, f.name) for f in fields(self))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def updated(self, overrides: Mapping[str, object]) -> Weights:
        """These weights with some replaced; unknown names or negative values raise."""
        changes: dict[str, float] = {}
        for name, value in overrides.items():
            if name not in self.names():
                raise ValueError(f"unknown weight {name!r} (known: {', '.join(self.names())})")
            number = float(value)  # type: ignore[arg-type]
            if not 0 <= number <= 1000:
                raise ValueError(f"weight {name}: expected 0 to 1000, got {value}")
            changes[name] = number
        return replace(self, **changes)


@dataclass
class Evaluation:
    """Scores and blockers of every (mentee, mentor) pair: rows mentees, columns mentors."""

    scores: NDArray[np.float64]
    blockers: NDArray[np.int8]

    @cached_property
    def feasible(self) -> NDArray[np.bool_]:
        return self.blockers == OK


def _index(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out.setdefault(v, len(out))
    return out


def _incidence(people: Sequence[Profile], attr: str, index: dict[str, int]) -> NDArray[np.float32]:
    matrix = np.zeros((len(people), max(len(index), 1)), dtype=np.float32)
    for row, p in enumerate(people):
        for item in getattr(p, attr):
            matrix[row, index[item]] = 1.0
    return matrix


def _codes(values: Sequence[str], index: dict[str, int]) -> NDArray[np.int64]:
    return np.array([index[v] if v else -1 for v in values], dtype=np.int64)


def evaluate(
    mentors: Sequence[Profile],
    mentees: Sequence[Profile],
    weights: Weights,
    forbidden: Iterable[tuple[int, int]] = (),
) -> Evaluation:
    """Score every pair and mark the blocked ones (``forbidden``: (mentor key, mentee key))."""
    n, m = len(mentees), len(mentors)
    if n == 0 or m == 0:
        return Evaluation(np.zeros((n, m)), np.zeros((n, m), dtype=np.int8))
    blockers = np.zeros((n, m), dtype=np.int8)

    langs = _index(sorted({lang for p in (*mentors, *mentees) for lang in p.languages}))
    shared = _incidence(mentees, "languages", langs) @ _incidence(mentors, "languages", langs).T
    blockers[shared < 0.5] = LANGUAGE

    modes = {mode: n for n, mode in enumerate(MODES)}
    mode_e = np.array([modes.get(p.mode, 0) for p in mentees])[:, None]
    mode_m = np.array([modes.get(p.mode, 0) for p in mentors])[None, :]
    f2f = (mode_e == FACE_TO_FACE) | (mode_m == FACE_TO_FACE)
    online = (mode_e == ONLINE) | (mode_m == ONLINE)
    cities = _index(sorted({fold(p.city) for p in (*mentors, *mentees) if p.city.strip()}))
    city_e = _codes([fold(p.city) for p in mentees], cities)[:, None]
    city_m = _codes([fold(p.city) for p in mentors], cities)[None, :]
    same_city = (city_e == city_m) & (city_e >= 0)
    blockers[(blockers == OK) & f2f & online] = MODE
    blockers[(blockers == OK) & f2f & ~online & ~same_city] = CITY

    mentor_col = {p.key: j for j, p in enumerate(mentors)}
    mentee_row = {p.key: i for i, p in enumerate(mentees)}
    by_name_m: dict[str, list[int]] = {}
    for j, p in enumerate(mentors):
        by_name_m.setdefault(p.folded_name, []).append(j)
    by_name_e: dict[str, list[int]] = {}
    for i, p in enumerate(mentees):
        by_name_e.setdefault(p.folded_name, []).append(i)
    for i, p in enumerate(mentees):
        for name in p.avoid:
            for j in by_name_m.get(name, ()):
                blockers[i, j] = AVOID
    for j, p in enumerate(mentors):
        for name in p.avoid:
            for i in by_name_e.get(name, ()):
                blockers[i, j] = AVOID
    for mentor_key, mentee_key in forbidden:
        if mentor_key in mentor_col and mentee_key in mentee_row:
            blockers[mentee_row[mentee_key], mentor_col[mentor_key]] = FORBIDDEN

    scores = np.zeros((n, m), dtype=np.float64)
    # support: share of the mentee's needs that the mentor offers
    areas = _index(sorted({a for p in (*mentors, *mentees) for a in p.support}))
    needs = _incidence(mentees, "support", areas)
    covered = needs @ _incidence(mentors, "support", areas).T
    wanted = needs.sum(axis=1, keepdims=True)
    share = covered / np.maximum(wanted, 1)
    scores += np.where(wanted > 0, weights.support * share, 0.5 * weights.support)
    # field
    fields_ = _index(sorted({fold(p.field) for p in (*mentors, *mentees) if p.field.strip()}))
    field_e = _codes([fold(p.field) for p in mentees], fields_)[:, None]
    field_m = _codes([fold(p.field) for p in mentors], fields_)[None, :]
    scores += np.where((field_e == field_m) & (field_e >= 0), weights.field, 0.0)
    # stage: the mentor ahead
    level_e = np.array([STAGE_LEVELS.get(p.stage, -1) for p in mentees])[:, None]
    level_m = np.array([STAGE_LEVELS.get(p.stage, -1) for p in mentors])[None, :]
    known = (level_e >= 0) & (level_m >= 0)
    level = np.where(level_m == level_e, weights.stage / 3, 0.0)
    stage = np.where(level_m > level_e, weights.stage, level)
    scores += np.where(known, stage, weights.stage / 3)
    # time zone distance
    tz_e = np.array([p.utc_offset for p in mentees])[:, None]
    tz_m = np.array([p.utc_offset for p in mentors])[None, :]
    scores += weights.timezone * np.clip(1 - np.abs(tz_e - tz_m) / TZ_ZERO_HOURS, 0, 1)
    # mode, and city when they could meet in person
    hybrid = (mode_e == HYBRID) | (mode_m == HYBRID)
    scores += np.where(mode_e == mode_m, weights.mode, np.where(hybrid, weights.mode / 2, 0.0))
    in_person = (mode_e != ONLINE) & (mode_m != ONLINE)
    scores += np.where(in_person & same_city, weights.city, 0.0)
    return Evaluation(np.round(scores, 1), blockers)


def pair_score(mentor: Profile, mentee: Profile, weights: Weights) -> tuple[float, str | None]:
    """One pair's score and blocker name (None when they may be matched)."""
    ev = evaluate([mentor], [mentee], weights)
    code = int(ev.blockers[0, 0])
    return float(ev.scores[0, 0]), BLOCKER_NAMES.get(code)
