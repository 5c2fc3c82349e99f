"""Ballots: casting (the hot path), turnout and trackers.

The cast rules (locks, then status, round, roll, entitlement and representative, in that order)
are the SQL function `elections.cast_ballot` (migration `4d1c7e2a9b55`): the one source. Python
only maps its outcomes to errors (`CAST_REFUSALS`); `tests/elections/test_states.py` reads the
function's definition from the database and fails when the two drift.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Sequence

from elections.election.exceptions import (
    ElectionNotFound,
    EntitlementLost,
    InvalidBallotChoices,
    NotCurrentRepresentative,
    NotObserverOfElection,
    NotOnRoll,
    TrackerNotFound,
    VotingClosed,
)
from elections.election.journal import can_watch, load
from elections.election.repository import BallotRepository, OpenRound
from elections.election.schemas import BallotIn, Receipt, TrackerOut, Turnout
from elections.election.states import OPEN_FOR_VOTING
from shared.auth import Identity
from shared.errors import ProblemError
from shared.i18n import Text
from shared.jsonutil import canonical
from shared.uow import UnitOfWork

# Every outcome `elections.cast_ballot` answers: the refusals, and the three that are not.
CAST_REFUSALS: dict[str, type[ProblemError]] = {
    "not_found": ElectionNotFound,
    "closed": VotingClosed,
    "not_on_roll": NotOnRoll,
    "entitlement_lost": EntitlementLost,
    "not_representative": NotCurrentRepresentative,
}
STALE_ROUND = "stale_round"  # a new round opened since the process cached this one: look again
MAY_CAST = "may_cast"  # every check passed but no ballot was given: the choices are what is wrong
CAST = "cast"
CAST_OUTCOMES = frozenset({*CAST_REFUSALS, STALE_ROUND, MAY_CAST, CAST})

_OPEN_ROUNDS: dict[uuid.UUID, tuple[float, OpenRound]] = {}
OPEN_ROUND_CACHE_SECONDS = 30.0  # how long a process keeps an open round's link key in memory


def tracker_of(election_id: uuid.UUID, round_no: int, choices: Sequence[str], nonce: str) -> str:
    """The voter's tracker: SHA-256 of the ballot and its secret nonce."""
    material = {"election_id": str(election_id), "round_no": round_no, "choices": list(choices), "nonce": nonce}
    return hashlib.sha256(canonical(material)).hexdigest()


def voter_link(key: bytes, election_id: uuid.UUID, round_no: int, enterprise_id: uuid.UUID) -> bytes:
    """HMAC-SHA256 under the election's key: the only link between an enterprise and its ballot."""
    return hmac.new(key, f"{election_id}:{round_no}:{enterprise_id}".encode(), hashlib.sha256).digest()


async def _cached_open_round(ballots: BallotRepository, election_id: uuid.UUID, *, fresh: bool) -> OpenRound:
    """The election's open round, remembered for a few seconds: every cast needs its key and spec."""
    now = time.monotonic()
    cached = _OPEN_ROUNDS.get(election_id)
    if cached is not None and cached[0] > now and not fresh:
        return cached[1]
    found = await ballots.open_round(election_id)
    if found is None:
        raise ElectionNotFound()
    status, opened = found
    if status not in OPEN_FOR_VOTING or opened is None:
        _OPEN_ROUNDS.pop(election_id, None)
        raise VotingClosed()
    if len(_OPEN_ROUNDS) >= 1_000:
        _OPEN_ROUNDS.clear()
    _OPEN_ROUNDS[election_id] = (now + OPEN_ROUND_CACHE_SECONDS, opened)
    return opened


async def cast(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, body: BallotIn) -> Receipt:
    """Cast (or re-cast) the enterprise's ballot; the last one of the round counts.

    One autocommitted statement (the repository's hot path) takes the casting locks, checks the
    roll, the representative and the round under them, and writes the ballot.
    """
    if identity.enterprise_id is None:
        raise NotOnRoll()
    ballots = uow.repository(BallotRepository)
    choices = sorted(str(choice) for choice in body.choices)
    for fresh in (False, True):
        opened = await _cached_open_round(ballots, election_id, fresh=fresh)
        spec = opened.round_spec
        valid = set(choices) <= set(spec["candidates"]) and len(choices) <= int(spec["places"])
        nonce = secrets.token_hex(16)
        tracker = tracker_of(election_id, opened.round_no, choices, nonce)
        link = voter_link(opened.link_key, election_id, opened.round_no, identity.enterprise_id)
        row = await ballots.cast(
            election_id=election_id,
            enterprise_id=identity.enterprise_id,
            subject=identity.subject,
            round_no=opened.round_no,
            ballot=(uuid.uuid4(), choices, tracker, link) if valid else None,
        )
        if row.outcome != STALE_ROUND:
            break
    else:
        raise VotingClosed(Text("投票轮次正在变更,请重试", "The voting round is changing; retry"))
    if row.outcome in CAST_REFUSALS:
        if row.outcome == "closed":
            _OPEN_ROUNDS.pop(election_id, None)
        raise CAST_REFUSALS[row.outcome]()
    if row.outcome == MAY_CAST:
        raise InvalidBallotChoices(
            Text(
                f"最多选择 {spec['places']} 名本轮候选人",
                f"Choose at most {spec['places']} of this round's candidates",
            ),
            errors=[{"detail": "unknown candidate or too many choices", "pointer": "/choices"}],
        )
    assert row.serial is not None and row.replaced is not None
    return Receipt(
        election_id=election_id,
        round_no=opened.round_no,
        tracker=tracker,
        nonce=nonce,
        serial=row.serial,
        cast_at=row.cast_at,
        replaced_previous=row.replaced,
    )


async def turnout(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID) -> Turnout:
    """Live turnout for staff and observers: a count, never partial results."""
    election = await load(uow, election_id)
    if not can_watch(identity, election):
        raise NotObserverOfElection()
    ballots = uow.repository(BallotRepository)
    cast = await ballots.ballots_cast(election.id, election.current_round) if election.current_round else 0
    size = election.roll_size or 0
    return Turnout(
        election_id=election.id,
        status=election.status,
        round_no=election.current_round,
        roll_size=size,
        ballots_cast=cast,
        turnout_percent=round(100 * cast / size, 2) if size else 0.0,
    )


async def find_tracker(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, tracker: str) -> TrackerOut:
    """Whether a tracker's ballot was received, and once its round closed, whether it counted."""
    election = await load(uow, election_id)
    ballots = uow.repository(BallotRepository)
    row = await ballots.find_tracker(election.id, tracker.lower()) if len(tracker) == 64 else None
    if row is None:
        raise TrackerNotFound()
    round_open = election.status in OPEN_FOR_VOTING and row.round_no == election.current_round
    state = "received" if round_open else ("counted" if row.counted else "superseded")
    return TrackerOut(tracker=tracker.lower(), round_no=row.round_no, state=state, log_seq=row.log_seq)
