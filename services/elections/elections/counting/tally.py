"""The count: approval ballots ("vote for up to N"), quorum, thresholds, run-off, ties and lots.

`evaluate` is a pure function of the public record (rules, candidates, roll size, the counted
ballots of each round, the lot values), so the service and the independent verifier run the
same code; every round is also counted a second time with `votelib` and must agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from importlib.metadata import version
from typing import Any, Literal

from votelib.convert import ApprovalToSimpleVotes
from votelib.evaluate.core import Plurality, Tie
from votelib.evaluate.threshold import AbsoluteThreshold

from elections.counting.lot import SourceValue, draw
from elections.counting.rules import Rules

RoundKind = Literal["main", "runoff", "tie_revote"]
Threshold = Literal["majority", "third", "none"]
Ballot = frozenset[str]
METHOD = "approval (vote for up to N), >1/2 of ballots cast to be elected, run-off by plurality with >=1/3"


class CrossCheckFailed(Exception):
    """votelib and our own count disagree: the result must not be certified."""


class InvalidBallot(ValueError):
    """A ballot names an unknown candidate or more candidates than the round allows."""


@dataclass(frozen=True, slots=True)
class RoundSpec:
    """What a round asks the voters: which candidates, for how many places, which threshold."""

    kind: RoundKind
    candidates: tuple[str, ...]
    places: int
    threshold: Threshold

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "candidates": list(self.candidates),
            "places": self.places,
            "threshold": self.threshold,
        }


@dataclass(frozen=True, slots=True)
class TiedPlaces:
    candidates: tuple[str, ...]
    places: int


@dataclass(frozen=True, slots=True)
class RoundResult:
    round_no: int
    spec: RoundSpec
    ballots_cast: int
    blanks: int
    approvals: dict[str, int]
    quorum_met: bool
    passing: tuple[str, ...]
    elected: tuple[str, ...]
    tie: TiedPlaces | None
    unfilled: int


def passes(threshold: Threshold, approvals: int, ballots_cast: int) -> bool:
    """Exact integer comparisons: more than half, at least a third, or anything."""
    if threshold == "majority":
        return 2 * approvals > ballots_cast
    if threshold == "third":
        return ballots_cast > 0 and 3 * approvals >= ballots_cast
    return True


def quorum_met(ballots_cast: int, roll_size: int) -> bool:
    """Ballots cast must be more than half of the roll."""
    return 2 * ballots_cast > roll_size


def count_round(round_no: int, spec: RoundSpec, ballots: Sequence[Ballot], roll_size: int) -> RoundResult:
    """Count one round, then count it again with votelib; any disagreement raises."""
    known = set(spec.candidates)
    for ballot in ballots:
        if not ballot <= known or len(ballot) > spec.places:
            raise InvalidBallot(f"round {round_no}: a ballot names unknown candidates or too many")
    tally = Counter(candidate for ballot in ballots for candidate in ballot)
    approvals = {candidate: tally.get(candidate, 0) for candidate in spec.candidates}
    cast = len(ballots)
    blanks = sum(1 for ballot in ballots if not ballot)
    passing = [c for c in spec.candidates if approvals[c] > 0 or spec.threshold == "none"]
    passing = [c for c in passing if passes(spec.threshold, approvals[c], cast)]
    ordered = sorted(passing, key=lambda c: -approvals[c])  # stable: ties never decided by this order
    tie: TiedPlaces | None = None
    if len(ordered) <= spec.places:
        elected = ordered
    else:
        boundary = approvals[ordered[spec.places - 1]]
        if approvals[ordered[spec.places]] == boundary:
            elected = [c for c in ordered if approvals[c] > boundary]
            tied = tuple(c for c in spec.candidates if c in passing and approvals[c] == boundary)
            tie = TiedPlaces(tied, spec.places - len(elected))
        else:
            elected = ordered[: spec.places]
    unfilled = spec.places - len(elected) - (tie.places if tie else 0)
    result = RoundResult(
        round_no=round_no,
        spec=spec,
        ballots_cast=cast,
        blanks=blanks,
        approvals=approvals,
        quorum_met=quorum_met(cast, roll_size),
        passing=tuple(c for c in spec.candidates if c in passing),
        elected=tuple(sorted(elected, key=lambda c: (-approvals[c], spec.candidates.index(c)))),
        tie=tie,
        unfilled=unfilled,
    )
    cross_check(result, ballots)
    return result


def cross_check(result: RoundResult, ballots: Sequence[Ballot]) -> None:
    """Recount with votelib (exact `Fraction` thresholds) and compare every figure."""
    spec = result.spec
    grouped = Counter(ballots)
    simple = ApprovalToSimpleVotes().convert(dict(grouped))
    theirs = {candidate: int(simple.get(candidate, 0)) for candidate in spec.candidates}
    if theirs != result.approvals or sum(grouped.values()) != result.ballots_cast:
        raise CrossCheckFailed(f"round {result.round_no}: approvals differ from votelib")
    votes = {candidate: theirs[candidate] for candidate in spec.candidates}
    if spec.threshold == "majority":
        passing = AbsoluteThreshold(Fraction(result.ballots_cast, 2), accept_equal=False).evaluate(votes)
        passing = [c for c in passing if votes[c] > 0]
    elif spec.threshold == "third":
        passing = AbsoluteThreshold(Fraction(result.ballots_cast, 3), accept_equal=True).evaluate(votes)
        passing = [c for c in passing if votes[c] > 0]
    else:
        passing = list(spec.candidates)
    if set(passing) != set(result.passing):
        raise CrossCheckFailed(f"round {result.round_no}: threshold outcome differs from votelib")
    selection = Plurality().evaluate({c: votes[c] for c in passing}, spec.places) if passing else []
    elected = {item for item in selection if not isinstance(item, Tie)}
    ties = [item for item in selection if isinstance(item, Tie)]
    if elected != set(result.elected):
        raise CrossCheckFailed(f"round {result.round_no}: elected candidates differ from votelib")
    ours_tie = (set(result.tie.candidates), result.tie.places) if result.tie else None
    theirs_tie = (set(ties[0]), len(ties)) if ties else None
    if ours_tie != theirs_tie:
        raise CrossCheckFailed(f"round {result.round_no}: tie at the seat boundary differs from votelib")


def runoff_pool(main: RoundResult, open_seats: int) -> tuple[str, ...]:
    """The highest unelected candidates, up to twice the open seats.

    A tie straddling that limit is left out as a whole (never cut by list order) unless the
    candidates above it are fewer than the open seats; then the whole tied group is let in.
    """
    approvals = main.approvals
    unelected = [c for c in main.spec.candidates if c not in main.elected and approvals[c] > 0]
    ordered = sorted(unelected, key=lambda c: -approvals[c])
    limit = 2 * open_seats
    if len(ordered) <= limit:
        chosen = ordered
    else:
        boundary = approvals[ordered[limit - 1]]
        if approvals[ordered[limit]] != boundary:
            chosen = ordered[:limit]
        else:
            above = [c for c in ordered if approvals[c] > boundary]
            tied = [c for c in ordered if approvals[c] == boundary]
            chosen = above if len(above) >= open_seats else above + tied
    return tuple(c for c in main.spec.candidates if c in chosen)


@dataclass(slots=True)
class LotRecord:
    round_no: int
    pool: tuple[str, ...]
    places: int
    sources: list[SourceValue]
    seed: str
    steps: list[dict[str, Any]]
    selected: tuple[str, ...]


@dataclass(slots=True)
class Outcome:
    """Where the election stands: finished, voided, or waiting for the next round or a lot."""

    status: Literal["complete", "voided", "needs_round", "needs_lot"]
    rounds: list[RoundResult] = field(default_factory=list)
    lots: list[LotRecord] = field(default_factory=list)
    elected: list[tuple[str, int]] = field(default_factory=list)  # (candidate, decided in round)
    vacant_seats: int = 0
    next_round: RoundSpec | None = None
    lot_needed: TiedPlaces | None = None


def evaluate(
    rules: Rules,
    candidates: Sequence[str],
    roll_size: int,
    rounds: Sequence[Sequence[Ballot]],
    lot_values: Mapping[int, Sequence[SourceValue]] | None = None,
) -> Outcome:
    """Replay every round held so far and say what the rules imply next."""
    lot_values = lot_values or {}
    outcome = Outcome(status="needs_round")
    spec: RoundSpec | None = RoundSpec("main", tuple(candidates), rules.seats, "majority")
    runoff_held = False
    main: RoundResult | None = None
    for round_no, ballots in enumerate(rounds, start=1):
        if spec is None:
            raise ValueError(f"round {round_no} was held but the rules called for none")
        result = count_round(round_no, spec, ballots, roll_size)
        outcome.rounds.append(result)
        spec = None
        if result.spec.kind == "main":
            main = result
            if not result.quorum_met:
                outcome.status = "voided"
                return outcome
        elif not result.quorum_met and result.spec.kind == "runoff":
            outcome.vacant_seats += result.spec.places
            break
        if result.spec.kind != "tie_revote" or result.quorum_met:
            outcome.elected.extend((c, round_no) for c in result.elected)
        tie = result.tie
        if result.spec.kind == "tie_revote" and not result.quorum_met:
            tie = TiedPlaces(result.spec.candidates, result.spec.places)
        if tie is not None:
            if result.spec.kind != "tie_revote":
                spec = RoundSpec("tie_revote", tie.candidates, tie.places, "none")
                continue
            if round_no not in lot_values:
                outcome.status = "needs_lot"
                outcome.lot_needed = tie
                return outcome
            seed, steps = draw(tie.candidates, tie.places, lot_values[round_no])
            selected = tuple(step.selected for step in steps)
            outcome.lots.append(
                LotRecord(
                    round_no,
                    tie.candidates,
                    tie.places,
                    list(lot_values[round_no]),
                    seed,
                    [asdict(step) for step in steps],
                    selected,
                )
            )
            outcome.elected.extend((c, round_no) for c in selected)
        if result.unfilled:
            if result.spec.kind == "main" and not runoff_held and main is not None:
                pool = runoff_pool(main, result.unfilled)
                if pool:
                    spec = RoundSpec("runoff", pool, result.unfilled, "third")
                    runoff_held = True
                    continue
            outcome.vacant_seats += result.unfilled
    if spec is not None:
        outcome.status = "needs_round"
        outcome.next_round = spec
        return outcome
    outcome.status = "complete"
    return outcome


def library_versions() -> dict[str, str]:
    return {"votelib": version("votelib"), "elections-counting": "1"}


def outcome_json(outcome: Outcome, roll_size: int) -> dict[str, Any]:
    """The results JSON: every round's figures, ties and their resolution, the method and versions."""
    main = outcome.rounds[0] if outcome.rounds else None
    return {
        "status": outcome.status,
        "method": METHOD,
        "libraries": library_versions(),
        "roll_size": roll_size,
        "turnout": main.ballots_cast if main else 0,
        "quorum_met": main.quorum_met if main else False,
        "rounds": [
            {
                "round_no": r.round_no,
                **r.spec.to_json(),
                "ballots_cast": r.ballots_cast,
                "blanks": r.blanks,
                "approvals": r.approvals,
                "quorum_met": r.quorum_met,
                "passing_threshold": list(r.passing),
                "elected": list(r.elected),
                "tie": {"candidates": list(r.tie.candidates), "places": r.tie.places} if r.tie else None,
                "unfilled": r.unfilled,
            }
            for r in outcome.rounds
        ],
        "lots": [
            {
                "round_no": lot.round_no,
                "pool": list(lot.pool),
                "places": lot.places,
                "sources": [list(v) if not isinstance(v, int | str) else v for v in lot.sources],
                "seed": lot.seed,
                "steps": lot.steps,
                "selected": list(lot.selected),
            }
            for lot in outcome.lots
        ],
        "elected": [{"candidate_id": c, "round_no": n} for c, n in outcome.elected],
        "vacant_seats": outcome.vacant_seats,
        "next_round": outcome.next_round.to_json() if outcome.next_round else None,
        "lot_needed": (
            {"candidates": list(outcome.lot_needed.candidates), "places": outcome.lot_needed.places}
            if outcome.lot_needed
            else None
        ),
    }
