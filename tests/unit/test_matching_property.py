"""Property: for random small programmes every suggestion respects every hard
constraint, and no feasible assignment matches more mentees (or, matching as
many, scores higher) — checked against brute force."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching.profile import Profile, fold
from bot.matching.scoring import Weights, evaluate
from bot.matching.solver import solve

NAMES = ["Anna", "Bea", "Cleo", "Dana", "Eva", "Fia", "Gun", "Hedda", "Ines", "Jo"]


@st.composite
def programmes(draw: st.DrawFn) -> tuple[list[Profile], list[Profile], list[tuple[int, int]]]:
    n_mentors = draw(st.integers(0, 3))
    n_mentees = draw(st.integers(0, 5))
    names = draw(st.permutations(NAMES))

    def person(key: int, role: str) -> Profile:
        return Profile(
            key=key,
            name=names[key % len(names)],
            role=role,
            languages=frozenset(draw(st.sets(st.sampled_from(["sv", "en", "fi"]), min_size=1))),
            utc_offset=draw(st.sampled_from([0.0, 1.0, 2.0, -5.0, 9.0])),
            mode=draw(st.sampled_from(["online", "face_to_face", "hybrid"])),
            city=draw(st.sampled_from(["", "Lund", "Umeå"])),
            field=draw(st.sampled_from(["", "Fysik", "Kemi"])),
            stage=draw(st.sampled_from(["", "student", "doctoral", "established"])),
            support=frozenset(draw(st.sets(st.sampled_from(["career", "emotional", "practical"])))),
            capacity=draw(st.integers(1, 3)) if role == "mentor" else 1,
            avoid=frozenset(fold(n) for n in draw(st.sets(st.sampled_from(NAMES), max_size=2))),
        )

    mentors = [person(k, "mentor") for k in range(n_mentors)]
    mentees = [person(10 + k, "mentee") for k in range(n_mentees)]
    forbidden = draw(
        st.lists(
            st.tuples(
                st.sampled_from([m.key for m in mentors]), st.sampled_from([e.key for e in mentees])
            ),
            max_size=3,
        )
        if mentors and mentees
        else st.just([])
    )
    return mentors, mentees, forbidden


def allowed(mentor: Profile, mentee: Profile, forbidden: list[tuple[int, int]]) -> bool:
    """The hard constraints, written out independently of the solver's matrices."""
    if not mentor.languages & mentee.languages:
        return False
    if mentee.folded_name in mentor.avoid or mentor.folded_name in mentee.avoid:
        return False
    if (mentor.key, mentee.key) in forbidden:
        return False
    modes = {mentor.mode, mentee.mode}
    if "face_to_face" in modes:
        if "online" in modes:
            return False
        if not mentor.city or fold(mentor.city) != fold(mentee.city):
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(programmes())
def test_suggestions_are_feasible_and_maximal(
    case: tuple[list[Profile], list[Profile], list[tuple[int, int]]],
) -> None:
    mentors, mentees, forbidden = case
    solution = solve(mentors, mentees, forbidden=forbidden)
    by_key = {p.key: p for p in (*mentors, *mentees)}

    seen: set[int] = set()
    for match in solution.matches:
        assert len(match.mentees) <= match.mentor.capacity
        for mentee in match.mentees:
            assert mentee.key not in seen
            seen.add(mentee.key)
            assert allowed(match.mentor, mentee, forbidden), (match.mentor, mentee)
    unmatched = {u.profile.key for u in solution.unmatched if u.profile.role == "mentee"}
    assert unmatched | seen == {e.key for e in mentees}

    ev = evaluate(mentors, mentees, Weights(), forbidden)
    best_count, best_score = 0, 0.0
    for choice in itertools.product([None, *range(len(mentors))], repeat=len(mentees)):
        load = [0] * len(mentors)
        count, score, ok = 0, 0.0, True
        for i, j in enumerate(choice):
            if j is None:
                continue
            if not allowed(mentors[j], mentees[i], forbidden):
                ok = False
                break
            load[j] += 1
            count += 1
            score += float(ev.scores[i, j])
        if not ok or any(load[j] > mentors[j].capacity for j in range(len(mentors))):
            continue
        if (count, score) > (best_count, best_score):
            best_count, best_score = count, score
    assert solution.matched_mentees == best_count
    assert solution.total_score >= round(best_score, 1) - 1e-6
    assert all(by_key[k].role == "mentee" for k in seen)
