"""The pure count: thresholds, quorum, ties, run-offs and lots, each cross-checked with votelib."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest
from votelib.evaluate.auxiliary import RFC3797Selector

from elections.counting.chain import GENESIS, entry_hash, verify_chain
from elections.counting.lot import SourceValue, draw, seed_string
from elections.counting.rules import Rules
from elections.counting.tally import (
    CrossCheckFailed,
    InvalidBallot,
    RoundSpec,
    count_round,
    cross_check,
    evaluate,
    outcome_json,
    runoff_pool,
)

CANDIDATES = [f"c{i}" for i in range(1, 9)]  # 8 candidates for 7 seats: the minimum contested list
RULES = Rules(seats=7)


def ballots(*groups: tuple[int, list[str]]) -> list[frozenset[str]]:
    return [frozenset(choice) for count, choice in groups for _ in range(count)]


# RFC 3797 section 6: the worked example's sources, key string, digests and selection.
RFC_SOURCES: list[SourceValue] = [9319, [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]


def test_the_lot_reproduces_the_worked_example_of_rfc_3797() -> None:
    assert seed_string(RFC_SOURCES) == "9319./2.5.8.10.12./9.18.26.34.41.45./"
    pool = [str(n) for n in range(1, 26)]
    seed, steps = draw(pool, 11, RFC_SOURCES)
    assert [step.md5 for step in steps[:3]] == [
        "990DD0A5692A029A98B5E01AA28F3459",
        "3691E55CB63FCC37914430B2F70B5EC6",
        "FE814EDF564C190AC1D25753979990FA",
    ]
    assert [step.divisor for step in steps[:3]] == [25, 24, 23]
    assert [step.selected for step in steps] == ["17", "7", "2", "16", "25", "23", "8", "24", "19", "13", "22"]
    # votelib's independent implementation agrees
    assert RFC3797Selector(RFC_SOURCES).evaluate(dict.fromkeys(pool, 1), 11) == [step.selected for step in steps]


def test_lot_seed_canonicalisation_sorts_numbers_and_cleans_text() -> None:
    assert seed_string([[45, 9, 18], 7]) == "9.18.45./7./"
    assert seed_string(["Shanghai Composite: 3,312.5"]) == "SHANGHAICOMPOSITE33125/"
    with pytest.raises(ValueError):
        seed_string([])
    with pytest.raises(ValueError):
        seed_string([[-1]])


def test_approval_count_with_blanks_and_the_strict_majority() -> None:
    spec = RoundSpec("main", tuple(CANDIDATES), 7, "majority")
    cast = ballots(
        (6, ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]),
        (2, ["c1", "c8"]),
        (2, []),  # blank ballots count for turnout
    )
    result = count_round(1, spec, cast, roll_size=15)
    assert result.ballots_cast == 10 and result.blanks == 2
    assert result.approvals["c1"] == 8 and result.approvals["c2"] == 6 and result.approvals["c8"] == 2
    assert result.quorum_met  # 10 > 15 / 2
    assert set(result.elected) == {"c1", "c2", "c3", "c4", "c5", "c6", "c7"}
    half = count_round(1, spec, ballots((5, ["c1", "c2"]), (5, ["c1"])), roll_size=10)
    assert "c2" not in half.elected  # exactly half is not more than half
    assert half.elected == ("c1",) and half.unfilled == 6


def test_a_ballot_over_the_limit_or_for_an_unknown_candidate_is_invalid() -> None:
    spec = RoundSpec("main", tuple(CANDIDATES), 7, "majority")
    with pytest.raises(InvalidBallot):
        count_round(1, spec, [frozenset(CANDIDATES)], roll_size=1)
    with pytest.raises(InvalidBallot):
        count_round(1, spec, [frozenset({"nobody"})], roll_size=1)


def test_failed_quorum_voids_the_election() -> None:
    outcome = evaluate(RULES, CANDIDATES, roll_size=20, rounds=[ballots((10, CANDIDATES[:7]))])
    assert outcome.status == "voided"
    assert outcome.elected == []
    assert outcome_json(outcome, 20)["quorum_met"] is False


def test_tie_at_the_seat_boundary_goes_to_a_revote_then_a_public_lot() -> None:
    # c1..c6 clear, c7 and c8 tied on 7 of 12 ballots (both over half) for the last seat
    tied = ballots((5, CANDIDATES[:7]), (5, CANDIDATES[:6] + ["c8"]), (2, CANDIDATES[:5] + ["c7", "c8"]))
    first = evaluate(RULES, CANDIDATES, 12, [tied])
    assert first.status == "needs_round"
    assert first.next_round == RoundSpec("tie_revote", ("c7", "c8"), 1, "none")
    assert {c for c, _ in first.elected} == set(CANDIDATES[:6])
    # the re-vote among the tied only breaks the tie
    decided = evaluate(RULES, CANDIDATES, 12, [tied, ballots((7, ["c8"]), (5, ["c7"]))])
    assert decided.status == "complete"
    assert ("c8", 2) in decided.elected and "c7" not in {c for c, _ in decided.elected}
    # still tied: a public lot, which needs the seed values entered after the close
    still = [tied, ballots((6, ["c8"]), (6, ["c7"]))]
    waiting = evaluate(RULES, CANDIDATES, 12, still)
    assert waiting.status == "needs_lot"
    assert waiting.lot_needed is not None and waiting.lot_needed.candidates == ("c7", "c8")
    drawn = evaluate(RULES, CANDIDATES, 12, still, {2: [[3, 11, 17, 24, 28, 31], 331250]})
    assert drawn.status == "complete"
    seed, steps = draw(("c7", "c8"), 1, [[3, 11, 17, 24, 28, 31], 331250])
    assert drawn.lots[0].seed == seed == "3.11.17.24.28.31./331250./"
    assert (steps[0].selected, 2) in drawn.elected
    assert len(drawn.elected) == 7
    # a second replay with the same values gives the same winner: the lot is reproducible
    assert evaluate(RULES, CANDIDATES, 12, still, {2: [[3, 11, 17, 24, 28, 31], 331250]}).elected == drawn.elected


def test_unfilled_seats_go_to_a_runoff_then_stay_vacant() -> None:
    # 10 ballots: c1..c4 get 6 (elected), c5..c8 get 4, 3, 2, 1: three seats open
    main = ballots((6, ["c1", "c2", "c3", "c4"]), (4, ["c5"]))
    main[6] = frozenset({"c5", "c6"})
    main[7] = frozenset({"c5", "c6", "c7"})
    main[8] = frozenset({"c5", "c6", "c7", "c8"})
    main[9] = frozenset({"c5", "c6"})
    first = evaluate(RULES, CANDIDATES, 12, [main])
    assert [c for c, _ in first.elected] == ["c1", "c2", "c3", "c4"]
    assert first.next_round == RoundSpec("runoff", ("c5", "c6", "c7", "c8"), 3, "third")
    # run-off: plurality with at least one third of ballots cast (9 ballots: needs 3)
    runoff = ballots((4, ["c5", "c6"]), (3, ["c7"]), (2, ["c8"]))
    final = evaluate(RULES, CANDIDATES, 12, [main, runoff])
    assert final.status == "complete"
    assert {c for c, n in final.elected if n == 2} == {"c5", "c6", "c7"}
    assert final.vacant_seats == 0
    # with too few approvals the open seats stay vacant and are reported
    weak = ballots((3, ["c5"]), (2, ["c6"]), (2, ["c7"]), (2, ["c8"]))
    vacant = evaluate(RULES, CANDIDATES, 12, [main, weak])
    assert {c for c, n in vacant.elected if n == 2} == {"c5"}
    assert vacant.vacant_seats == 2
    assert outcome_json(vacant, 12)["vacant_seats"] == 2


def test_runoff_pool_is_at_most_twice_the_open_seats_and_never_cut_by_list_order() -> None:
    spec = RoundSpec("main", tuple(CANDIDATES), 7, "majority")
    # c1..c6 elected (6 of 10), c7, c8 tied on 2 and one seat open: pool up to 2 → both fit
    main = ballots((6, CANDIDATES[:6]), (2, ["c7"]), (2, ["c8"]))
    assert runoff_pool(count_round(1, spec, main, 10), 1) == ("c7", "c8")
    # nine candidates, one seat open, three tied behind a leader: the tie at the limit is left out
    nine = tuple(CANDIDATES) + ("c9",)
    main = ballots((6, CANDIDATES[:6]), (3, ["c7"]), (1, ["c8", "c9"]))
    main.append(frozenset({"c8"}))
    result = count_round(1, RoundSpec("main", nine, 7, "majority"), main, 11)
    assert runoff_pool(result, 1) == ("c7", "c8")
    main = ballots((6, CANDIDATES[:6]), (1, ["c7", "c8", "c9"]))
    result = count_round(1, RoundSpec("main", nine, 7, "majority"), main, 7)
    assert runoff_pool(result, 1) == ("c7", "c8", "c9")  # fewer than the open seats above the tie


def test_the_crosscheck_refuses_a_count_that_disagrees_with_votelib() -> None:
    spec = RoundSpec("main", tuple(CANDIDATES), 7, "majority")
    cast = ballots((6, CANDIDATES[:7]), (4, ["c8"]))
    honest = count_round(1, spec, cast, 10)
    with pytest.raises(CrossCheckFailed):
        cross_check(replace(honest, approvals={**honest.approvals, "c8": 6}), cast)
    with pytest.raises(CrossCheckFailed):
        cross_check(replace(honest, elected=honest.elected[:-1]), cast)


def _first_round_by_hand(seats: int, roll: int, cast: list[frozenset[str]]) -> tuple[dict[str, int], set[str], bool]:
    """The documented first-round rules, written out again: approvals, who is elected, whether tied."""
    approvals = Counter(candidate for ballot in cast for candidate in ballot)
    if not 2 * len(cast) > roll:
        return approvals, set(), False
    passing = sorted((c for c in approvals if 2 * approvals[c] > len(cast)), key=lambda c: -approvals[c])
    if len(passing) <= seats:
        return approvals, set(passing), False
    boundary = approvals[passing[seats - 1]]
    clear = {c for c in passing if approvals[c] > boundary}
    at_boundary = {c for c in passing if approvals[c] == boundary}
    if len(clear) + len(at_boundary) == seats:
        return approvals, clear | at_boundary, False
    return approvals, clear, True


def test_random_elections_agree_with_the_rules_written_out_and_with_votelib() -> None:
    generator = random.Random(20261126)
    seen = Counter[str]()
    for _ in range(300):
        seats = generator.choice([5, 7, 9])
        count = generator.randint(seats + 1, seats * 3 // 2)
        candidates = [f"k{i}" for i in range(count)]
        roll = generator.randint(5, 60)
        cast = [
            frozenset(generator.sample(candidates, generator.randint(0, seats)))
            for _ in range(generator.randint(0, roll))
        ]
        outcome = evaluate(Rules(seats=seats), candidates, roll, [cast])  # raises if votelib disagrees
        approvals, elected, tied = _first_round_by_hand(seats, roll, cast)
        first = outcome.rounds[0]
        assert first.ballots_cast == len(cast) and first.blanks == sum(1 for ballot in cast if not ballot)
        assert {c: n for c, n in first.approvals.items() if n} == dict(approvals)
        assert first.quorum_met == (2 * len(cast) > roll)
        assert {c for c, n in outcome.elected if n == 1} == elected
        if first.quorum_met:
            assert (first.tie is not None) == tied
        else:
            assert outcome.status == "voided"
        seen[outcome.status] += 1
        seen["tied"] += tied
    # the sample reaches each branch (voided, seats left for a run-off, ties), not only one
    assert seen["voided"] > 0 and seen["needs_round"] > 0 and seen["tied"] > 0, seen


def test_hash_chain_detects_edits_reordering_and_gaps() -> None:
    entries = []
    prev = GENESIS
    for seq in range(1, 5):
        payload = {"n": seq}
        digest = entry_hash(seq, "event", "2026-11-26T00:00:00Z", payload, prev)
        entries.append(
            {
                "seq": seq,
                "type": "event",
                "at": "2026-11-26T00:00:00Z",
                "payload": payload,
                "prev": prev,
                "hash": digest,
            }
        )
        prev = digest
    assert verify_chain(entries) == []
    edited = [dict(e) for e in entries]
    edited[1]["payload"] = {"n": 99}
    assert [p.seq for p in verify_chain(edited)] == [2]
    assert verify_chain(entries[:1] + entries[2:])  # a deleted entry
    swapped = [entries[0], entries[2], entries[1], entries[3]]
    assert verify_chain(swapped)
