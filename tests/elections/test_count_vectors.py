"""Known answers for the count rules, written out by hand from docs/elections.md ("Rules").

Both the service's count (`elections.counting.tally`) and the verifier's own implementation
(`elections.verify_count`, which imports nothing of the service) must reproduce every vector,
and the two must agree on a generated set of elections.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elections import verify_count
from elections.counting.rules import Rules
from elections.counting.tally import evaluate, outcome_json

Ballots = list[tuple[int, str]]  # (how many ballots, the candidates they approve, one letter each)
RFC_3797_SOURCES: list[Any] = [9319, [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]

# main round: 2a > n within the top seats; a-d on 6 of 6, e on 4 of 6, f on 2: f stays out
SIX_OF_TEN: Ballots = [(2, "abcdef"), (2, "abcde"), (2, "abcd")]
# a, b on 6; e, f on 5; c, d on 4 (all above half): the fifth seat is tied between c and d
TIED_FIFTH: Ballots = [(2, "abcef"), (2, "abdef"), (1, "abcde"), (1, "abcdf")]
# a-d on all ten; e 3, f 2, g 2: one seat open, the run-off pool is at most two, f and g tied across it
POOL_TIED: Ballots = [(3, "abcde"), (2, "abcdf"), (2, "abcdg"), (3, "abcd")]
POOL_ALL_TIED: Ballots = [(2, "abcde"), (2, "abcdf"), (2, "abcdg"), (4, "abcd")]

VECTORS: dict[str, dict[str, Any]] = {
    "majority then a run-off for two seats, one left vacant": {
        "seats": 7,
        "candidates": "abcdefgh",
        "roll": 10,
        "rounds": [SIX_OF_TEN, [(3, "f"), (3, "")]],
        "rounds_figures": [
            {"approvals": "a6 b6 c6 d6 e4 f2 g0 h0", "passing": "abcde", "elected": "abcde", "unfilled": 2},
            {"approvals": "f3", "passing": "f", "elected": "f", "unfilled": 1, "blanks": 3},
        ],
        "status": "complete",
        "elected": "a1 b1 c1 d1 e1 f2",
        "vacant": 1,
    },
    "the run-off the main round calls for": {
        "seats": 7,
        "candidates": "abcdefgh",
        "roll": 10,
        "rounds": [SIX_OF_TEN],
        "status": "needs_round",
        "elected": "a1 b1 c1 d1 e1",
        "next_round": {"kind": "runoff", "candidates": ["f"], "places": 2, "threshold": "third"},
    },
    "half the roll is no quorum: voided": {
        "seats": 7,
        "candidates": "abcdefgh",
        "roll": 10,
        "rounds": [[(5, "a")]],
        "rounds_figures": [{"approvals": "a5 b0 c0 d0 e0 f0 g0 h0", "passing": "a", "elected": "a", "quorum": False}],
        "status": "voided",
        "elected": "",
    },
    "a tie at the seat boundary calls a re-vote": {
        "seats": 5,
        "candidates": "abcdef",
        "roll": 6,
        "rounds": [TIED_FIFTH],
        "rounds_figures": [
            {
                "approvals": "a6 b6 c4 d4 e5 f5",
                "passing": "abcdef",
                "elected": "abef",
                "tie": ("cd", 1),
                "unfilled": 0,
            }
        ],
        "status": "needs_round",
        "elected": "a1 b1 e1 f1",
        "next_round": {"kind": "tie_revote", "candidates": ["c", "d"], "places": 1, "threshold": "none"},
    },
    "a re-vote still tied waits for the lot": {
        "seats": 5,
        "candidates": "abcdef",
        "roll": 6,
        "rounds": [TIED_FIFTH, [(2, "c"), (2, "d")]],
        "status": "needs_lot",
        "elected": "a1 b1 e1 f1",
        "lot_needed": ("cd", 1),
    },
    "a re-vote without quorum goes to the lot too": {
        "seats": 5,
        "candidates": "abcdef",
        "roll": 6,
        "rounds": [TIED_FIFTH, [(3, "c")]],
        "rounds_figures": [{}, {"approvals": "c3 d0", "passing": "cd", "elected": "c", "quorum": False}],
        "status": "needs_lot",
        "elected": "a1 b1 e1 f1",
        "lot_needed": ("cd", 1),
    },
    # RFC 3797's worked example: the first MD5 is 990DD0A5692A029A98B5E01AA28F3459, odd, so of a
    # pool of two the second (d) is drawn
    "the lot decides the re-vote's tie (RFC 3797 section 6 sources)": {
        "seats": 5,
        "candidates": "abcdef",
        "roll": 6,
        "rounds": [TIED_FIFTH, [(2, "c"), (2, "d")]],
        "lots": {2: RFC_3797_SOURCES},
        "status": "complete",
        "elected": "a1 b1 e1 f1 d2",
        "lot_steps": [("990DD0A5692A029A98B5E01AA28F3459", 2, 2, "d")],
    },
    "a tie across the run-off pool's limit is left out whole": {
        "seats": 5,
        "candidates": "abcdefg",
        "roll": 10,
        "rounds": [POOL_TIED],
        "status": "needs_round",
        "elected": "a1 b1 c1 d1",
        "next_round": {"kind": "runoff", "candidates": ["e"], "places": 1, "threshold": "third"},
    },
    "unless fewer than the open seats stand above it: then it is let in whole": {
        "seats": 5,
        "candidates": "abcdefg",
        "roll": 10,
        "rounds": [POOL_ALL_TIED],
        "status": "needs_round",
        "elected": "a1 b1 c1 d1",
        "next_round": {"kind": "runoff", "candidates": ["e", "f", "g"], "places": 1, "threshold": "third"},
    },
    "a run-off without quorum leaves its seat vacant": {
        "seats": 5,
        "candidates": "abcdefg",
        "roll": 10,
        "rounds": [POOL_TIED, [(5, "e")]],
        "rounds_figures": [{}, {"approvals": "e5", "passing": "e", "elected": "e", "quorum": False}],
        "status": "complete",
        "elected": "a1 b1 c1 d1",
        "vacant": 1,
    },
    "the run-off needs a third (3a >= n), then plurality": {
        "seats": 5,
        "candidates": "abcdefg",
        "roll": 10,
        "rounds": [POOL_ALL_TIED, [(3, "e"), (2, "f"), (1, "g")]],
        "rounds_figures": [{}, {"approvals": "e3 f2 g1", "passing": "ef", "elected": "e", "unfilled": 0}],
        "status": "complete",
        "elected": "a1 b1 c1 d1 e2",
    },
    "a round after the election is complete is refused": {
        "seats": 5,
        "candidates": "abcdefg",
        "roll": 10,
        "rounds": [POOL_ALL_TIED, [(3, "e"), (2, "f"), (1, "g")], [(1, "f")]],
        "error": "round 3",
    },
    "a ballot over the round's places is refused": {
        "seats": 5,
        "candidates": "abcdef",
        "roll": 6,
        "rounds": [[(1, "abcdef")]],
        "error": "too many",
    },
    "a ballot for someone not standing is refused": {
        "seats": 5,
        "candidates": "abcdef",
        "roll": 6,
        "rounds": [[(1, "az")]],
        "error": "unknown",
    },
}


def expand(groups: Ballots) -> list[frozenset[str]]:
    return [frozenset(letters) for count, letters in groups for _ in range(count)]


def service_count(
    seats: int, candidates: list[str], roll: int, rounds: list[list[frozenset[str]]], lots: Any
) -> dict[str, Any]:
    return outcome_json(evaluate(Rules(seats=seats), candidates, roll, rounds, lots), roll)


def verifier_count(
    seats: int, candidates: list[str], roll: int, rounds: list[list[frozenset[str]]], lots: Any
) -> dict[str, Any]:
    return verify_count.recount(seats, candidates, roll, rounds, lots)


COUNTS = [pytest.param(service_count, id="service"), pytest.param(verifier_count, id="verifier")]


def _approvals(written: str) -> dict[str, int]:
    return {item[0]: int(item[1:]) for item in written.split()}


@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize("name", list(VECTORS))
def test_every_count_reproduces_the_known_answers(name: str, count: Any) -> None:
    vector = VECTORS[name]
    arguments = (
        vector["seats"],
        list(vector["candidates"]),
        vector["roll"],
        [expand(groups) for groups in vector["rounds"]],
        vector.get("lots"),
    )
    if "error" in vector:
        with pytest.raises(ValueError, match=vector["error"]):
            count(*arguments)
        return
    result = count(*arguments)
    assert result["status"] == vector["status"]
    assert [f"{e['candidate_id']}{e['round_no']}" for e in result["elected"]] == vector["elected"].split()
    assert result["vacant_seats"] == vector.get("vacant", 0)
    assert result["next_round"] == vector.get("next_round")
    lot_needed = vector.get("lot_needed")
    assert result["lot_needed"] == (
        {"candidates": list(lot_needed[0]), "places": lot_needed[1]} if lot_needed else None
    )
    assert len(result["rounds"]) == len(vector["rounds"])
    for figures, expected in zip(result["rounds"], vector.get("rounds_figures", []), strict=False):
        if not expected:
            continue
        assert figures["approvals"] == _approvals(expected["approvals"])
        assert figures["passing_threshold"] == list(expected["passing"])
        assert figures["elected"] == list(expected["elected"])
        tie = expected.get("tie")
        assert figures["tie"] == ({"candidates": list(tie[0]), "places": tie[1]} if tie else None)
        assert figures["unfilled"] == expected.get("unfilled", figures["unfilled"])
        assert figures["blanks"] == expected.get("blanks", 0)
        assert figures["quorum_met"] == expected.get("quorum", True)
    steps = [(s["md5"], s["divisor"], s["position"], s["selected"]) for lot in result["lots"] for s in lot["steps"]]
    assert steps == vector.get("lot_steps", [])


@st.composite
def elections(draw: st.DrawFn) -> tuple[int, list[str], int, list[list[frozenset[str]]], dict[int, Any]]:
    """A main round and whatever rounds the service's rules call for next, with a lot when asked."""
    seats = draw(st.sampled_from([5, 7, 9]))
    candidates = [f"k{i}" for i in range(draw(st.integers(seats + 1, seats * 3 // 2)))]
    roll = draw(st.integers(1, 16))  # small rolls: ties and run-offs are frequent
    lots: dict[int, Any] = {}
    rounds: list[list[frozenset[str]]] = []
    spec: dict[str, Any] | None = {"candidates": candidates, "places": seats}
    while spec is not None and len(rounds) < 4:
        pool, places = spec["candidates"], spec["places"]
        ballot = st.lists(st.sampled_from(pool), max_size=places, unique=True).map(frozenset)
        # now and then a round that misses its quorum (a tie re-vote more often: it goes to the lot)
        short = draw(st.integers(0, 2 if spec.get("kind") == "tie_revote" else 9)) == 0
        size = st.integers(0, roll // 2) if short else st.integers(roll // 2 + 1, roll)
        rounds.append([draw(ballot) for _ in range(draw(size))])
        outcome = service_count(seats, candidates, roll, rounds, lots)
        if outcome["status"] == "needs_lot":
            lots[len(rounds)] = draw(st.lists(st.integers(0, 99), min_size=1, max_size=6))
            outcome = service_count(seats, candidates, roll, rounds, lots)
        spec = outcome["next_round"]
    return seats, candidates, roll, rounds, lots


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(elections())
def test_the_verifier_and_the_service_agree_on_generated_elections(
    election: tuple[int, list[str], int, list[list[frozenset[str]]], dict[int, Any]],
) -> None:
    assert verifier_count(*election) == service_count(*election)


def test_the_verifiers_count_imports_only_the_standard_library_and_its_formats() -> None:
    source = Path(verify_count.__file__).read_text(encoding="utf-8")
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name) or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert all(
        not name.startswith(("elections.counting", "elections.election", "shared", "votelib")) for name in imported
    )
    assert {name for name in imported if name.startswith("elections")} == {"elections.verify_formats"}
