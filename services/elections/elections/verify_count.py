"""The count rules, implemented again from docs/elections.md ("Rules") for the verifier.

Standard library only, on purpose: nothing here imports the service (`elections.counting`,
`shared`, votelib), so a recount by the verifier checks the service's count against the published
rules, not against itself. `recount` returns the result JSON in the exact shape the service
publishes (`GET /v1/elections/{id}/record`, `result`), so the two can be compared byte for byte.

The rules, as published:

* a ballot approves at most the round's places, only among the round's candidates; blanks count;
* quorum: ballots cast > half the roll size (`2n > roll`); a main round without it voids the
  election, a run-off without it leaves its places vacant, a tie re-vote without it goes to the lot;
* main round: elected with approvals on more than half the ballots (`2a > n`), within the top seats;
* a tie at the seat boundary: a `tie_revote` round among the tied candidates (no threshold), then
  an RFC 3797 lot among them if they are still tied (or the re-vote missed quorum);
* unfilled seats after the main round: one run-off (`3a >= n`) among the highest unelected
  candidates with any approval, at most twice the open seats; a tie across that limit is left out
  whole unless fewer candidates than the open seats stand above it, then it is let in whole;
  seats still empty stay vacant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from elections.verify_formats import lot_seed

METHOD = "approval (vote for up to N), >1/2 of ballots cast to be elected, run-off by plurality with >=1/3"


class CountError(ValueError):
    """The rounds in the log cannot be counted under the rules (a bad ballot, a round too many)."""


@dataclass(frozen=True, slots=True)
class Round:
    """One round's question: its kind, candidates (ballot order), places and threshold."""

    kind: str
    candidates: tuple[str, ...]
    places: int
    threshold: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "candidates": list(self.candidates),
            "places": self.places,
            "threshold": self.threshold,
        }


def _reaches(threshold: str, approvals: int, cast: int) -> bool:
    if threshold == "none":
        return True
    if approvals == 0:
        return False
    if threshold == "majority":
        return approvals * 2 > cast
    if threshold == "third":
        return approvals * 3 >= cast
    raise CountError(f"unknown threshold {threshold!r}")


def _top(candidates: Sequence[str], approvals: Mapping[str, int]) -> list[str]:
    """Candidates by approvals, most first; equal approvals keep ballot order (which decides nothing)."""
    return sorted(candidates, key=lambda c: (-approvals[c], candidates.index(c)))


def count_one(round_no: int, spec: Round, ballots: Sequence[frozenset[str]], roll_size: int) -> dict[str, Any]:
    """One round's published figures."""
    approvals = dict.fromkeys(spec.candidates, 0)
    for ballot in ballots:
        if len(ballot) > spec.places or any(choice not in approvals for choice in ballot):
            raise CountError(f"round {round_no}: a ballot names unknown candidates or too many")
        for choice in ballot:
            approvals[choice] += 1
    cast = len(ballots)
    passing = [c for c in spec.candidates if _reaches(spec.threshold, approvals[c], cast)]
    ranked = _top(passing, approvals)
    tie: dict[str, Any] | None = None
    if len(ranked) > spec.places and approvals[ranked[spec.places]] == approvals[ranked[spec.places - 1]]:
        line = approvals[ranked[spec.places - 1]]
        elected = [c for c in ranked if approvals[c] > line]
        tie = {"candidates": [c for c in passing if approvals[c] == line], "places": spec.places - len(elected)}
    else:
        elected = ranked[: spec.places]
    return {
        "round_no": round_no,
        **spec.as_json(),
        "ballots_cast": cast,
        "blanks": sum(1 for ballot in ballots if len(ballot) == 0),
        "approvals": approvals,
        "quorum_met": cast * 2 > roll_size,
        "passing_threshold": passing,
        "elected": elected,
        "tie": tie,
        "unfilled": spec.places - len(elected) - (tie["places"] if tie else 0),
    }


def runoff_candidates(main: Mapping[str, Any], open_seats: int) -> tuple[str, ...]:
    """The run-off pool drawn from the main round's figures (in ballot order)."""
    approvals: Mapping[str, int] = main["approvals"]
    order: list[str] = list(main["candidates"])
    ranked = _top([c for c in order if c not in main["elected"] and approvals[c] > 0], approvals)
    limit = 2 * open_seats
    if len(ranked) > limit and approvals[ranked[limit]] == approvals[ranked[limit - 1]]:
        line = approvals[ranked[limit - 1]]
        above = [c for c in ranked if approvals[c] > line]
        pool = above if len(above) >= open_seats else [c for c in ranked if approvals[c] >= line]
    else:
        pool = ranked[:limit]
    return tuple(c for c in order if c in pool)


def libraries() -> dict[str, str]:
    """The versions a result names when the record to compare with names none."""
    try:
        votelib = version("votelib")
    except PackageNotFoundError:
        votelib = "unknown"
    return {"votelib": votelib, "elections-counting": "1"}


def lot_steps(pool: Sequence[str], picks: int, sources: Sequence[Any]) -> list[dict[str, Any]]:
    """RFC 3797 section 4, every step as published: pick i is MD5(i ‖ seed ‖ i) mod what remains."""
    if not 0 < picks <= len(pool):
        raise CountError("a lot must pick between one and all of its pool")
    for source in sources:
        numbers = [] if isinstance(source, str) else [source] if isinstance(source, int) else list(source)
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in numbers):
            raise CountError("lot source values must be non-negative integers")
    seed = lot_seed(sources).encode("ascii")
    remaining, steps = list(pool), []
    for index in range(picks):
        marker = index.to_bytes(2, "big")
        digest = hashlib.md5(marker + seed + marker, usedforsecurity=False).digest()
        position = int.from_bytes(digest, "big") % len(remaining)
        steps.append(
            {
                "index": index,
                "md5": digest.hex().upper(),
                "divisor": len(remaining),
                "position": position + 1,
                "selected": remaining.pop(position),
            }
        )
    return steps


def _lot(round_no: int, tie: Mapping[str, Any], sources: Sequence[Any]) -> dict[str, Any]:
    if not sources:
        raise CountError("a lot needs at least one source of randomness")
    steps = lot_steps(tie["candidates"], tie["places"], sources)
    return {
        "round_no": round_no,
        "pool": list(tie["candidates"]),
        "places": tie["places"],
        "sources": [v if isinstance(v, int | str) else list(v) for v in sources],
        "seed": lot_seed(sources),
        "steps": steps,
        "selected": [step["selected"] for step in steps],
    }


def recount(
    seats: int,
    candidates: Sequence[str],
    roll_size: int,
    rounds: Sequence[Sequence[frozenset[str]]],
    lots: Mapping[int, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """Replay the rounds held; the result JSON, with what the rules call for next."""
    if seats % 2 == 0 or not 5 <= seats <= 9:
        raise CountError("seats must be odd, 5 to 9")
    lots = lots or {}
    figures: list[dict[str, Any]] = []
    drawn: list[dict[str, Any]] = []
    elected: list[dict[str, Any]] = []
    vacant = 0
    status = "complete"
    lot_needed: dict[str, Any] | None = None
    upcoming: Round | None = Round("main", tuple(candidates), seats, "majority")
    runoff_done = False
    for round_no, ballots in enumerate(rounds, start=1):
        if upcoming is None:
            raise CountError(f"round {round_no} was held but the rules called for none")
        spec, upcoming = upcoming, None
        result = count_one(round_no, spec, ballots, roll_size)
        figures.append(result)
        quorum = result["quorum_met"]
        if spec.kind == "main" and not quorum:
            status = "voided"
            break
        if spec.kind == "runoff" and not quorum:
            vacant += spec.places
            break
        if spec.kind == "tie_revote" and not quorum:
            tie: dict[str, Any] | None = {"candidates": list(spec.candidates), "places": spec.places}
        else:
            elected += [{"candidate_id": c, "round_no": round_no} for c in result["elected"]]
            tie = result["tie"]
        if tie is not None and spec.kind != "tie_revote":
            upcoming = Round("tie_revote", tuple(tie["candidates"]), tie["places"], "none")
            continue
        if tie is not None:
            if round_no not in lots:
                status, lot_needed = "needs_lot", tie
                break
            drawn.append(_lot(round_no, tie, lots[round_no]))
            elected += [{"candidate_id": c, "round_no": round_no} for c in drawn[-1]["selected"]]
        if result["unfilled"] and spec.kind == "main" and not runoff_done:
            pool = runoff_candidates(result, result["unfilled"])
            if pool:
                upcoming, runoff_done = Round("runoff", pool, result["unfilled"], "third"), True
                continue
        vacant += result["unfilled"]
    if upcoming is not None:
        status = "needs_round"
    main = figures[0] if figures else None
    return {
        "status": status,
        "method": METHOD,
        "libraries": libraries(),
        "roll_size": roll_size,
        "turnout": main["ballots_cast"] if main else 0,
        "quorum_met": main["quorum_met"] if main else False,
        "rounds": figures,
        "lots": drawn,
        "elected": elected,
        "vacant_seats": vacant,
        "next_round": upcoming.as_json() if upcoming else None,
        "lot_needed": lot_needed,
    }
