"""The solver: most mentees first, then score; every hard constraint honoured."""

from __future__ import annotations

from bot.matching.profile import Profile
from bot.matching.scoring import Weights, pair_score
from bot.matching.solver import greedy, solve


def mentor(key: int, name: str, **kw: object) -> Profile:
    kw.setdefault("languages", frozenset({"sv"}))
    return Profile(key=key, name=name, role="mentor", **kw)  # type: ignore[arg-type]


def mentee(key: int, name: str, **kw: object) -> Profile:
    kw.setdefault("languages", frozenset({"sv"}))
    return Profile(key=key, name=name, role="mentee", **kw)  # type: ignore[arg-type]


def test_greedy_strands_a_mentee_the_solver_matches_everyone() -> None:
    # Ada fits both mentors but Xena better (same field); Bo speaks only English,
    # which only Xena does.  Greedy gives Ada to Xena first and strands Bo.
    xena = mentor(1, "Xena", languages=frozenset({"sv", "en"}), field="Fysik", capacity=1)
    yuki = mentor(2, "Yuki", field="Kemi", capacity=1)
    ada = mentee(10, "Ada", field="Fysik")
    bo = mentee(11, "Bo", languages=frozenset({"en"}), field="Kemi")
    mentors, mentees = [xena, yuki], [ada, bo]

    g = greedy(mentors, mentees)
    assert g.matched_mentees == 1
    assert [(u.profile.name, u.reason) for u in g.unmatched if u.profile.role == "mentee"] == [
        ("Bo", "capacity")
    ]

    s = solve(mentors, mentees)
    assert s.matched_mentees == 2
    assert s.pairs() == {(1, 11), (2, 10)}
    assert not [u for u in s.unmatched if u.profile.role == "mentee"]


def test_among_full_matchings_the_best_total_score_wins() -> None:
    a = mentor(1, "A", field="Fysik", capacity=1)
    b = mentor(2, "B", field="Kemi", capacity=1)
    fys = mentee(10, "F", field="Fysik")
    kem = mentee(11, "K", field="Kemi")
    s = solve([a, b], [fys, kem])
    assert s.pairs() == {(1, 10), (2, 11)}
    swapped = pair_score(a, kem, Weights())[0] + pair_score(b, fys, Weights())[0]
    assert s.total_score > swapped


def test_capacity_is_never_exceeded() -> None:
    one = mentor(1, "One", capacity=2)
    mentees = [mentee(10 + n, f"M{n}") for n in range(5)]
    s = solve([one], mentees)
    assert s.matched_mentees == 2
    assert len(s.matches) == 1 and len(s.matches[0].mentees) == 2
    assert sorted(u.reason for u in s.unmatched) == ["capacity"] * 3


def test_avoid_lists_are_honoured_both_ways() -> None:
    anna = mentor(1, "Anna", capacity=2, avoid=frozenset({"bea"}))
    cleo_mentor = mentor(2, "Cleo", capacity=1)
    bea = mentee(10, "Bea")
    dana = mentee(11, "Dana", avoid=frozenset({"anna"}))
    s = solve([anna, cleo_mentor], [bea, dana])
    for pair in s.pairs():
        assert pair not in {(1, 10), (1, 11)}
    assert s.matched_mentees == 1  # Cleo takes one; Anna may take neither
    reasons = {u.profile.name: u.reason for u in s.unmatched}
    assert reasons["Anna"] == "no_mentee_fits"


def test_no_shared_language_is_the_reason_given() -> None:
    s = solve(
        [mentor(1, "Anna", capacity=3)],
        [mentee(10, "Bea"), mentee(11, "Ola", languages=frozenset({"fi"}))],
    )
    assert s.pairs() == {(1, 10)}
    assert [(u.profile.name, u.reason) for u in s.unmatched] == [("Ola", "no_language")]


def test_face_to_face_needs_the_same_city_and_no_online_only_partner() -> None:
    lund = mentor(1, "Lund", mode="face_to_face", city="Lund", capacity=4)
    online = mentor(2, "Net", mode="online", capacity=4)
    in_umea = mentee(10, "Umeå", mode="face_to_face", city="Umeå")
    in_lund = mentee(11, "InLund", mode="hybrid", city="lund ")
    wants_f2f_lund = mentee(12, "F2F", mode="face_to_face", city="Lund")
    s = solve([lund, online], [in_umea, in_lund, wants_f2f_lund])
    assert (1, 12) in s.pairs() and (1, 10) not in s.pairs() and (2, 12) not in s.pairs()
    assert {u.profile.name: u.reason for u in s.unmatched}["Umeå"] == "no_city"
    assert pair_score(online, wants_f2f_lund, Weights())[1] == "mode"


def test_pins_come_first_and_forbidden_pairs_never() -> None:
    a = mentor(1, "A", field="Fysik", capacity=1)
    b = mentor(2, "B", field="Kemi", capacity=1)
    fys = mentee(10, "F", field="Fysik")
    kem = mentee(11, "K", field="Kemi")
    pinned = solve([a, b], [fys, kem], pins=[(1, 11)])
    assert pinned.pairs() == {(1, 11), (2, 10)}
    assert pinned.matches[0].pinned == {11}
    forbidden = solve([a, b], [fys, kem], forbidden=[(1, 10), (2, 10)])
    assert (1, 10) not in forbidden.pairs() and (2, 10) not in forbidden.pairs()
    assert {u.profile.name: u.reason for u in forbidden.unmatched}["F"] == "no_compatible"


def test_weights_change_the_choice() -> None:
    same_field = mentor(1, "Field", field="Fysik", support=frozenset(), capacity=1)
    gives_support = mentor(2, "Support", field="Kemi", support=frozenset({"career"}), capacity=1)
    bea = mentee(10, "Bea", field="Fysik", support=frozenset({"career"}))
    by_default = solve([same_field, gives_support], [bea])
    assert by_default.pairs() == {(2, 10)}  # support (40) outweighs field (20)
    field_first = solve([same_field, gives_support], [bea], Weights(field=60))
    assert field_first.pairs() == {(1, 10)}
