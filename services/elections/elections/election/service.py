"""The rules of the election lifecycle; SQL lives in the repository, the count in `counting`."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from elections.counting.chain import GENESIS, digest, entry_hash, verify_chain
from elections.counting.lot import SourceValue
from elections.counting.rules import Rules
from elections.counting.tally import CrossCheckFailed, InvalidBallot, RoundSpec, evaluate, outcome_json
from elections.database import platform_tables
from elections.election import repository as repo
from elections.election.exceptions import (
    CandidateNotFound,
    CrossCheckDisagreement,
    ElectionNotFound,
    EntitlementLost,
    InvalidBallotChoices,
    NotCurrentRepresentative,
    NotInCommunity,
    NotObserverOfElection,
    NotOnRoll,
    NotStaffOfCommunity,
    ObjectionNotFound,
    ResultMismatch,
    TrackerNotFound,
    TransitionRefused,
    VotingClosed,
    WrongPhase,
)
from elections.election.models import Candidate, Election, Objection, RollEntry
from elections.election.schemas import (
    BallotIn,
    CandidateCreate,
    ElectionCreate,
    LotIn,
    ObjectionCreate,
    ObjectionDecision,
    Receipt,
    ReviewIn,
    RollAmendment,
    TransitionIn,
)
from shared.auth import Identity, Role
from shared.errors import ProblemError, ValidationFailed
from shared.i18n import Text
from shared.jsonutil import canonical
from shared.outbox import FeedEvent, record_event

SHANGHAI = ZoneInfo("Asia/Shanghai")
JOINT_NOMINATORS = 5
OPEN_FOR_VOTING = ("voting_open", "runoff_open")
TERMINAL = ("published", "voided")

# The lifecycle as data: each state and the states a staff transition may lead to from it.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"nomination"}),
    "nomination": frozenset({"candidate_review"}),
    "candidate_review": frozenset({"candidates_published"}),
    "candidates_published": frozenset({"roll_frozen"}),
    "roll_frozen": frozenset({"voting_open"}),
    "voting_open": frozenset({"voting_closed"}),
    "voting_closed": frozenset({"tallied"}),
    "tallied": frozenset({"runoff_open", "certified"}),
    "runoff_open": frozenset({"runoff_closed"}),
    "runoff_closed": frozenset({"tallied"}),
    "certified": frozenset({"published"}),
    "published": frozenset(),
    "voided": frozenset(),
    "suspended": frozenset(),  # resumes to the state it was suspended from
}
# Suspension and voiding are possible from every state that is not finished.
SUSPENDABLE = frozenset(TRANSITIONS) - {"published", "voided", "suspended", "certified"}

RollFetcher = Callable[[uuid.UUID, dt.date], Awaitable[list[dict[str, Any]]]]


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _refuse(detail_zh: str, detail_en: str) -> TransitionRefused:
    return TransitionRefused(Text(detail_zh, detail_en))


def roll_fingerprint(items: Sequence[dict[str, Any]]) -> str:
    """SHA-256 of the canonical roll: one `{enterprise_id, uscc, name}` per entry, ordered by USCC."""
    canonical_items = sorted(
        ({"enterprise_id": str(i["enterprise_id"]), "uscc": i["uscc"], "name": i["name"]} for i in items),
        key=lambda item: item["uscc"],
    )
    return digest(canonical_items)


def tracker_of(election_id: uuid.UUID, round_no: int, choices: Sequence[str], nonce: str) -> str:
    """The voter's tracker: SHA-256 of the ballot and its secret nonce."""
    material = {"election_id": str(election_id), "round_no": round_no, "choices": list(choices), "nonce": nonce}
    return hashlib.sha256(canonical(material)).hexdigest()


def voter_link(key: bytes, election_id: uuid.UUID, round_no: int, enterprise_id: uuid.UUID) -> bytes:
    """HMAC-SHA256 under the election's key: the only link between an enterprise and its ballot."""
    return hmac.new(key, f"{election_id}:{round_no}:{enterprise_id}".encode(), hashlib.sha256).digest()


# -- loading and permissions ------------------------------------------------------------------


async def load(session: AsyncSession, election_id: uuid.UUID, *, for_update: bool = False) -> Election:
    election = await repo.get_election(session, election_id, for_update=for_update)
    if election is None:
        raise ElectionNotFound()
    return election


def ensure_staff(identity: Identity, community_id: uuid.UUID) -> None:
    if not identity.staff_of(community_id):
        raise NotStaffOfCommunity()


def can_watch(identity: Identity, election: Election) -> bool:
    """Staff of the community and the election's observers see turnout."""
    return identity.staff_of(election.community_id) or (
        Role.election_observer in identity.roles and election.id in identity.election_ids
    )


# -- the log ----------------------------------------------------------------------------------


async def append(session: AsyncSession, election: Election, event_type: str, payload: dict[str, Any]) -> int:
    """Append to the election's chained log; the caller holds the election row lock.

    Ballots cast since the last append are chained first, in cast order.
    """
    await chain_pending_ballots(session, election)
    head = await repo.log_head(session, election.id)
    seq, prev = head if head else (0, GENESIS)
    entry = _entry(election.id, seq + 1, event_type, payload, prev)
    await repo.insert_log_entries(session, [entry])
    return seq + 1


def _entry(election_id: uuid.UUID, seq: int, event_type: str, payload: dict[str, Any], prev: str) -> dict[str, Any]:
    at = _now_text()
    return {
        "election_id": election_id,
        "seq": seq,
        "type": event_type,
        "recorded_at": at,
        "payload": payload,
        "prev": prev,
        "hash": entry_hash(seq, event_type, at, payload, prev),
    }


async def chain_pending_ballots(session: AsyncSession, election: Election) -> None:
    """Log every ballot cast since the last append: `ballot_cast`, then `ballot_superseded` if it replaced one.

    Casts are locked out first: a cast still in flight may hold a lower serial than one committed.
    """
    await repo.lock_out_casts(session, election.id)
    pending = await repo.unlogged_ballots(session, election.id, election.logged_ballot_serial)
    if not pending:
        return
    head = await repo.log_head(session, election.id)
    seq, prev = head if head else (0, GENESIS)
    entries: list[dict[str, Any]] = []
    for ballot in pending:
        seq += 1
        cast = {"round_no": ballot.round_no, "tracker": ballot.tracker, "choices": ballot.choices}
        entries.append(_entry(election.id, seq, "ballot_cast", cast, prev))
        prev = entries[-1]["hash"]
        if ballot.replaced_tracker is not None:
            seq += 1
            superseded = {"round_no": ballot.round_no, "tracker": ballot.replaced_tracker, "by": ballot.tracker}
            entries.append(_entry(election.id, seq, "ballot_superseded", superseded, prev))
            prev = entries[-1]["hash"]
    await repo.insert_log_entries(session, entries)
    election.logged_ballot_serial = pending[-1].serial


# -- creating and moving through the lifecycle ------------------------------------------------


async def create_election(session: AsyncSession, identity: Identity, body: ElectionCreate) -> Election:
    """Create a draft election; its rules are fixed and logged now."""
    ensure_staff(identity, body.community_id)
    election = Election(
        id=uuid.uuid4(),
        community_id=body.community_id,
        title=body.title,
        status="draft",
        rules={**body.rules.model_dump(mode="json"), "objection_window_hours": body.objection_window_hours},
        record_date=body.record_date,
        lot_values={},
    )
    repo.add(session, election)
    await repo.flush(session)
    await append(session, election, "rules_fixed", _public_election(election))
    await _event(session, election, "ElectionCreated")
    return election


def rules_of(election: Election) -> Rules:
    return Rules.model_validate({k: v for k, v in election.rules.items() if k != "objection_window_hours"})


def _public_election(election: Election) -> dict[str, Any]:
    return {
        "election_id": str(election.id),
        "community_id": str(election.community_id),
        "title": election.title,
        "record_date": election.record_date.isoformat(),
        "rules": election.rules,
    }


async def _event(session: AsyncSession, election: Election, event_type: str, **extra: Any) -> None:
    payload = {"election_id": str(election.id), "community_id": str(election.community_id), "status": election.status}
    await record_event(session, platform_tables.outbox_event, event_type, "election", election.id, payload | extra)


async def transition(
    session: AsyncSession, identity: Identity, election_id: uuid.UUID, body: TransitionIn, fetch_roll: RollFetcher
) -> Election:
    """Move the election one step, with the checks that step implies."""
    election = await load(session, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    current, target = election.status, body.to
    if target == "voided":
        await _void(session, election, body.reason)
    elif target == "suspended":
        if current not in SUSPENDABLE:
            raise _refuse(f"{current} 状态不能暂停", f"An election in {current} cannot be suspended")
        if not body.reason:
            raise ValidationFailed(errors=[{"detail": "a reason is required", "pointer": "/reason"}])
        election.suspended_from = current
        election.status = "suspended"
        await append(session, election, "suspended", {"from": current, "reason": body.reason})
    elif current == "suspended":
        if target != election.suspended_from:
            raise _refuse("暂停的选举只能恢复到原状态", f"A suspended election resumes to {election.suspended_from}")
        election.status, election.suspended_from = target, None
        await append(session, election, "resumed", {"to": target, "reason": body.reason})
    else:
        if target not in TRANSITIONS[current]:
            raise _refuse(f"不能从 {current} 转到 {target}", f"No transition from {current} to {target}")
        step = _STEPS[target]
        await step(session, election, fetch_roll)
        election.status = target
    await repo.flush(session)
    await _event(session, election, "ElectionStatusChanged", previous=current)
    return election


async def _void(session: AsyncSession, election: Election, reason: str | None) -> None:
    if election.status in TERMINAL or election.status == "certified":
        raise _refuse("该选举已结束", "The election is already finished")
    quorum_failed = election.status == "tallied" and (election.result or {}).get("status") == "voided"
    if not reason and not quorum_failed:
        raise ValidationFailed(errors=[{"detail": "a reason is required", "pointer": "/reason"}])
    election.status = "voided"
    await append(session, election, "voided", {"reason": reason or "quorum not met", "quorum_failed": quorum_failed})


async def _to_nomination(session: AsyncSession, election: Election, _: RollFetcher) -> None:
    await append(session, election, "nomination_opened", {})


async def _to_review(session: AsyncSession, election: Election, _: RollFetcher) -> None:
    candidates = await repo.list_candidates(session, election.id)
    if not candidates:
        raise _refuse("尚无候选人提名", "No candidate has been nominated")
    await append(session, election, "nomination_closed", {"nominated": len(candidates)})


async def _to_published(session: AsyncSession, election: Election, _: RollFetcher) -> None:
    rules = rules_of(election)
    candidates = await repo.list_candidates(session, election.id)
    if any(c.status == "nominated" for c, _ in candidates):
        raise _refuse("仍有候选人未审核", "Some candidates are not reviewed yet")
    approved = sorted((c for c, _ in candidates if c.status == "approved"), key=lambda c: (c.name, str(c.id)))
    _check_candidate_count(rules, len(approved))
    for number, candidate in enumerate(approved, start=1):
        candidate.ballot_number = number
    election.published_at = dt.datetime.now(dt.UTC)
    await append(session, election, "candidates_published", {"candidates": [_candidate_json(c) for c in approved]})


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {"candidate_id": str(candidate.id), "name": candidate.name, "ballot_number": candidate.ballot_number}


def _check_candidate_count(rules: Rules, approved: int) -> None:
    if not rules.min_candidates <= approved <= rules.max_candidates:
        raise _refuse(
            f"差额选举需要 {rules.min_candidates} 至 {rules.max_candidates} 名候选人,当前 {approved} 名",
            f"A contested election needs {rules.min_candidates} to {rules.max_candidates} approved candidates;"
            f" there are {approved}",
        )


async def _to_roll_frozen(session: AsyncSession, election: Election, fetch_roll: RollFetcher) -> None:
    hours = int(election.rules.get("objection_window_hours", 72))
    assert election.published_at is not None
    if dt.datetime.now(dt.UTC) < election.published_at + dt.timedelta(hours=hours):
        raise _refuse("公示期尚未结束", "The publication (objection) window has not ended")
    if await repo.open_objections(session, election.id):
        raise _refuse("仍有未处理的异议", "Some objections are still undecided")
    approved = [c for c, _ in await repo.list_candidates(session, election.id) if c.status == "approved"]
    _check_candidate_count(rules_of(election), len(approved))
    if election.record_date > dt.datetime.now(SHANGHAI).date():
        raise _refuse("登记日尚未到来", "The record date is in the future")
    items = await fetch_roll(election.community_id, election.record_date)
    await repo.insert_roll(session, election.id, items)
    election.roll_fingerprint = roll_fingerprint(items)
    election.roll_size = len(items)
    await append(
        session,
        election,
        "roll_frozen",
        {"as_of": election.record_date.isoformat(), "fingerprint": election.roll_fingerprint, "size": len(items)},
    )


async def _to_voting_open(session: AsyncSession, election: Election, _: RollFetcher) -> None:
    if not election.roll_size:
        raise _refuse("选民名册为空", "The roll is empty")
    rules = rules_of(election)
    candidates = await _ballot_candidates(session, election)
    _check_candidate_count(rules, len(candidates))
    await repo.insert_secret(session, election.id, secrets.token_bytes(32))
    await _open_round(session, election, RoundSpec("main", tuple(candidates), rules.seats, "majority"))


async def _ballot_candidates(session: AsyncSession, election: Election) -> list[str]:
    approved = [c for c, _ in await repo.list_candidates(session, election.id) if c.status == "approved"]
    return [str(c.id) for c in sorted(approved, key=lambda c: c.ballot_number or 0)]


async def _open_round(session: AsyncSession, election: Election, spec: RoundSpec) -> None:
    election.current_round += 1
    election.round_spec = spec.to_json()
    payload = {"round_no": election.current_round, **spec.to_json(), "lot_sources": rules_of(election).lot_sources}
    await append(session, election, "voting_opened", payload)


async def _close_round(session: AsyncSession, election: Election, _: RollFetcher) -> None:
    await repo.lock_out_casts(session, election.id)  # waits for every cast in flight
    cast = await repo.ballots_cast(session, election.id, election.current_round)
    await append(session, election, "voting_closed", {"round_no": election.current_round, "ballots_cast": cast})


async def _to_tallied(session: AsyncSession, election: Election, _: RollFetcher) -> None:
    await _tally(session, election)


async def _tally(session: AsyncSession, election: Election) -> None:
    """Count every round held so far, cross-checked with votelib; disagreement blocks the step."""
    candidates = await _ballot_candidates(session, election)
    counted = await repo.counted_ballots(session, election.id)
    rounds = [[frozenset(choices) for choices in counted.get(n, [])] for n in range(1, election.current_round + 1)]
    lots: dict[int, Sequence[SourceValue]] = {int(k): v for k, v in election.lot_values.items()}
    try:
        outcome = evaluate(rules_of(election), candidates, election.roll_size or 0, rounds, lots)
    except (CrossCheckFailed, InvalidBallot) as exc:
        raise CrossCheckDisagreement(str(exc)) from exc
    result = outcome_json(outcome, election.roll_size or 0)
    election.result = result
    election.result_hash = digest(result)
    await append(
        session,
        election,
        "tally_computed",
        {"round_no": election.current_round, "status": outcome.status, "result_hash": election.result_hash},
    )
    last = outcome.rounds[-1] if outcome.rounds else None
    if last is not None and last.spec.kind == "tie_revote" and outcome.status != "needs_lot":
        lot = next((lot for lot in outcome.lots if lot.round_no == last.round_no), None)
        decided = {"round_no": last.round_no, "tied": list(last.spec.candidates), "places": last.spec.places}
        if lot is None:
            await append(session, election, "tie_resolved", decided | {"by": "revote", "elected": list(last.elected)})
        else:
            resolution = {"by": "lot (RFC 3797)", "seed": lot.seed, "steps": lot.steps, "elected": list(lot.selected)}
            await append(session, election, "tie_resolved", decided | resolution)


async def _to_runoff(session: AsyncSession, election: Election, _: RollFetcher) -> None:
    next_round = (election.result or {}).get("next_round")
    if not next_round:
        raise _refuse("计票结果不需要再次投票", "The result calls for no further round")
    spec = RoundSpec(next_round["kind"], tuple(next_round["candidates"]), next_round["places"], next_round["threshold"])
    await _open_round(session, election, spec)


async def _to_certified(session: AsyncSession, election: Election, _: RollFetcher) -> None:
    result = election.result or {}
    if result.get("status") != "complete":
        raise _refuse("计票尚未完成", f"The result is {result.get('status')}, not complete")
    rules = rules_of(election)
    assert election.result_hash is not None
    approvals = await repo.certifications_for(session, election.id, election.result_hash)
    if len(approvals) < rules.certification_quorum:
        raise _refuse(
            f"需要 {rules.certification_quorum} 名监票人确认,当前 {len(approvals)} 名",
            f"{rules.certification_quorum} observer approvals are needed; there are {len(approvals)}",
        )
    await chain_pending_ballots(session, election)
    entries = await repo.log_entries(session, election.id)
    problems = verify_chain(
        {"seq": e.seq, "type": e.type, "at": e.recorded_at, "payload": e.payload, "prev": e.prev, "hash": e.hash}
        for e in entries
    )
    if problems:
        raise CrossCheckDisagreement(f"the log fails verification at entry {problems[0].seq}")
    await repo.destroy_secret(session, election.id)
    await append(
        session,
        election,
        "certified",
        {"result_hash": election.result_hash, "observers": approvals, "link_key_destroyed": True},
    )


async def _to_published_result(session: AsyncSession, election: Election, _: RollFetcher) -> None:
    await append(session, election, "published", {"result_hash": election.result_hash})


_STEPS: dict[str, Callable[[AsyncSession, Election, RollFetcher], Awaitable[None]]] = {
    "nomination": _to_nomination,
    "candidate_review": _to_review,
    "candidates_published": _to_published,
    "roll_frozen": _to_roll_frozen,
    "voting_open": _to_voting_open,
    "voting_closed": _close_round,
    "tallied": _to_tallied,
    "runoff_open": _to_runoff,
    "runoff_closed": _close_round,
    "certified": _to_certified,
    "published": _to_published_result,
}


async def rerun(session: AsyncSession, identity: Identity, election_id: uuid.UUID) -> Election:
    """A new draft election with the same rules, after a voided one."""
    old = await load(session, election_id)
    ensure_staff(identity, old.community_id)
    if old.status != "voided":
        raise WrongPhase(Text("只有已作废的选举可以重新举行", "Only a voided election can be re-run"))
    election = Election(
        id=uuid.uuid4(),
        community_id=old.community_id,
        title=old.title,
        status="draft",
        rules=dict(old.rules),
        record_date=max(old.record_date, dt.datetime.now(SHANGHAI).date()),
        lot_values={},
        rerun_of=old.id,
    )
    repo.add(session, election)
    await repo.flush(session)
    await append(session, election, "rules_fixed", _public_election(election) | {"rerun_of": str(old.id)})
    return election


# -- candidates and objections ----------------------------------------------------------------


def _ensure_rep_in_community(identity: Identity, election: Election) -> uuid.UUID:
    if identity.enterprise_id is None or election.community_id not in identity.community_ids:
        raise NotInCommunity()
    return identity.enterprise_id


async def nominate(
    session: AsyncSession, identity: Identity, election_id: uuid.UUID, body: CandidateCreate
) -> Candidate:
    """An enterprise's representative nominates a natural person (alone, or opening a joint nomination)."""
    election = await load(session, election_id, for_update=True)
    enterprise_id = _ensure_rep_in_community(identity, election)
    if election.status != "nomination":
        raise WrongPhase(Text("当前不在提名阶段", "Nominations are not open"))
    candidate = Candidate(
        id=uuid.uuid4(),
        election_id=election.id,
        name=body.name,
        profile=body.profile,
        kind=body.kind,
        status="nominated",
    )
    repo.add(session, candidate)
    await repo.flush(session)
    await repo.add_nomination(session, candidate.id, enterprise_id, identity.subject)
    await append(
        session,
        election,
        "candidate_nominated",
        {
            "candidate_id": str(candidate.id),
            "name": candidate.name,
            "kind": candidate.kind,
            "enterprise_id": str(enterprise_id),
        },
    )
    return candidate


async def endorse(
    session: AsyncSession, identity: Identity, election_id: uuid.UUID, candidate_id: uuid.UUID
) -> tuple[Candidate, int]:
    """Another enterprise joins a joint nomination."""
    election = await load(session, election_id, for_update=True)
    enterprise_id = _ensure_rep_in_community(identity, election)
    if election.status != "nomination":
        raise WrongPhase(Text("当前不在提名阶段", "Nominations are not open"))
    candidate = await repo.get_candidate(session, election.id, candidate_id)
    if candidate is None:
        raise CandidateNotFound()
    if candidate.kind != "joint":
        raise WrongPhase(Text("只有联名提名可以附议", "Only a joint nomination takes more nominators"))
    if await repo.add_nomination(session, candidate.id, enterprise_id, identity.subject):
        await append(
            session,
            election,
            "nomination_endorsed",
            {"candidate_id": str(candidate.id), "enterprise_id": str(enterprise_id)},
        )
    return candidate, await repo.nomination_count(session, candidate.id)


async def review(
    session: AsyncSession, identity: Identity, election_id: uuid.UUID, candidate_id: uuid.UUID, body: ReviewIn
) -> tuple[Candidate, int]:
    """Staff approve or reject a nomination, with a reason; a joint one needs five nominators."""
    election = await load(session, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    if election.status != "candidate_review":
        raise WrongPhase(Text("当前不在候选人审核阶段", "Candidates are not under review"))
    candidate = await repo.get_candidate(session, election.id, candidate_id, for_update=True)
    if candidate is None:
        raise CandidateNotFound()
    backers = await repo.nomination_count(session, candidate.id)
    if body.decision == "approve" and candidate.kind == "joint" and backers < JOINT_NOMINATORS:
        raise WrongPhase(
            Text(
                f"联名提名需要至少 {JOINT_NOMINATORS} 家企业,当前 {backers} 家",
                f"A joint nomination needs {JOINT_NOMINATORS} enterprises; it has {backers}",
            )
        )
    candidate.status = "approved" if body.decision == "approve" else "rejected"
    candidate.review_reason = body.reason
    await append(
        session,
        election,
        "candidate_reviewed",
        {"candidate_id": str(candidate.id), "decision": candidate.status, "reason": body.reason},
    )
    await repo.flush(session)
    return candidate, backers


async def object_to(
    session: AsyncSession, identity: Identity, election_id: uuid.UUID, candidate_id: uuid.UUID, body: ObjectionCreate
) -> Objection:
    """Anyone of the community files an objection during publication (公示)."""
    election = await load(session, election_id, for_update=True)
    if not identity.staff_of(election.community_id):
        _ensure_rep_in_community(identity, election)
    if election.status != "candidates_published":
        raise WrongPhase(Text("只能在公示期内提出异议", "Objections are taken during publication only"))
    candidate = await repo.get_candidate(session, election.id, candidate_id)
    if candidate is None or candidate.status != "approved":
        raise CandidateNotFound()
    objection = Objection(
        id=uuid.uuid4(),
        election_id=election.id,
        candidate_id=candidate.id,
        filed_by=identity.subject,
        reason=body.reason,
        status="open",
    )
    repo.add(session, objection)
    await append(
        session,
        election,
        "objection_filed",
        {"objection_id": str(objection.id), "candidate_id": str(candidate.id), "reason": body.reason},
    )
    await repo.flush(session)
    return objection


async def decide_objection(
    session: AsyncSession, identity: Identity, election_id: uuid.UUID, objection_id: uuid.UUID, body: ObjectionDecision
) -> Objection:
    """Staff uphold (the candidate is struck off) or dismiss an objection, with a reason."""
    election = await load(session, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    objection = await repo.get_objection(session, election.id, objection_id)
    if objection is None:
        raise ObjectionNotFound()
    if objection.status != "open" or election.status != "candidates_published":
        raise WrongPhase(Text("该异议已处理或不在公示期", "The objection is decided or publication is over"))
    objection.status = body.decision
    objection.decision_reason = body.reason
    if body.decision == "upheld":
        candidate = await repo.get_candidate(session, election.id, objection.candidate_id, for_update=True)
        assert candidate is not None
        candidate.status = "rejected"
        candidate.review_reason = body.reason
    await append(
        session,
        election,
        "objection_decided",
        {"objection_id": str(objection.id), "decision": body.decision, "reason": body.reason},
    )
    await repo.flush(session)
    return objection


# -- the roll ---------------------------------------------------------------------------------


async def amend_roll(
    session: AsyncSession, identity: Identity, election_id: uuid.UUID, body: RollAmendment
) -> Election:
    """The only way to change a frozen roll: an explicit, reasoned amendment in the public log."""
    election = await load(session, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    if election.status != "roll_frozen":
        raise WrongPhase(
            Text("只能在名册冻结后、投票开始前修正名册", "The roll is amended between freezing and opening")
        )
    existing = await repo.get_roll_entry(session, election.id, body.enterprise_id)
    if body.action == "add":
        if existing is not None or body.uscc is None or body.name is None:
            raise ValidationFailed(
                Text(
                    "新增需要 uscc 与 name,且企业不在名册中",
                    "Adding needs uscc and name of an enterprise not on the roll",
                ),
                errors=[{"detail": "uscc and name required; not already on the roll", "pointer": "/uscc"}],
            )
        await repo.insert_roll(
            session,
            election.id,
            [
                {
                    "enterprise_id": body.enterprise_id,
                    "uscc": body.uscc,
                    "name": body.name,
                    "representative_subject": body.representative_subject,
                }
            ],
        )
        entry = {"enterprise_id": str(body.enterprise_id), "uscc": body.uscc, "name": body.name}
        election.roll_size = (election.roll_size or 0) + 1
    else:
        if existing is None:
            raise NotOnRoll()
        entry = {"enterprise_id": str(existing.enterprise_id), "uscc": existing.uscc, "name": existing.name}
        await repo.delete_roll_entry(session, election.id, body.enterprise_id)
        election.roll_size = (election.roll_size or 0) - 1
    await append(session, election, "roll_amended", {"action": body.action, "entry": entry, "reason": body.reason})
    await repo.flush(session)
    return election


async def objections(session: AsyncSession, identity: Identity, election_id: uuid.UUID) -> Sequence[Objection]:
    """Staff of the community and the election's observers see every objection and its decision."""
    election = await load(session, election_id)
    if not can_watch(identity, election):
        raise NotStaffOfCommunity()
    return await repo.list_objections(session, election.id)


async def roll(
    session: AsyncSession, identity: Identity, election_id: uuid.UUID
) -> tuple[Election, Sequence[RollEntry]]:
    election = await load(session, election_id)
    if not can_watch(identity, election):
        raise NotStaffOfCommunity()
    return election, await repo.list_roll(session, election.id)


# -- casting ----------------------------------------------------------------------------------


_OPEN_ROUNDS: dict[uuid.UUID, tuple[float, repo.OpenRound]] = {}
OPEN_ROUND_CACHE_SECONDS = 30.0  # how long a process keeps an open round's link key in memory
_CAST_REFUSALS: dict[str, type[ProblemError]] = {
    "not_found": ElectionNotFound,
    "closed": VotingClosed,
    "not_on_roll": NotOnRoll,
    "entitlement_lost": EntitlementLost,
    "not_representative": NotCurrentRepresentative,
}


async def _cached_open_round(connection: asyncpg.Connection, election_id: uuid.UUID, *, fresh: bool) -> repo.OpenRound:
    """The election's open round, remembered for a few seconds: every cast needs its key and spec."""
    now = time.monotonic()
    cached = _OPEN_ROUNDS.get(election_id)
    if cached is not None and cached[0] > now and not fresh:
        return cached[1]
    found = await repo.open_round(connection, election_id)
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


async def cast(
    connect: Callable[[], AbstractAsyncContextManager[asyncpg.Connection]],
    identity: Identity,
    election_id: uuid.UUID,
    body: BallotIn,
) -> Receipt:
    """Cast (or re-cast) the enterprise's ballot; the last one of the round counts.

    The hot path: one autocommitted statement that takes the casting locks, checks the roll,
    the representative and the round under them, and writes the ballot.
    """
    if identity.enterprise_id is None:
        raise NotOnRoll()
    choices = sorted(str(choice) for choice in body.choices)
    async with connect() as connection:
        for fresh in (False, True):
            opened = await _cached_open_round(connection, election_id, fresh=fresh)
            spec = opened.round_spec
            valid = set(choices) <= set(spec["candidates"]) and len(choices) <= int(spec["places"])
            nonce = secrets.token_hex(16)
            tracker = tracker_of(election_id, opened.round_no, choices, nonce)
            link = voter_link(opened.link_key, election_id, opened.round_no, identity.enterprise_id)
            row = await repo.cast_ballot(
                connection,
                election_id=election_id,
                enterprise_id=identity.enterprise_id,
                subject=identity.subject,
                round_no=opened.round_no,
                ballot=(uuid.uuid4(), choices, tracker, link) if valid else None,
            )
            if row["outcome"] != "stale_round":  # a new round opened since we cached this one
                break
        else:
            raise VotingClosed(Text("投票轮次正在变更,请重试", "The voting round is changing; retry"))
    outcome = row["outcome"]
    if outcome in _CAST_REFUSALS:
        if outcome == "closed":
            _OPEN_ROUNDS.pop(election_id, None)
        raise _CAST_REFUSALS[outcome]()
    if outcome == "may_cast":  # every other check passed: the choices are what is wrong
        raise InvalidBallotChoices(
            Text(
                f"最多选择 {spec['places']} 名本轮候选人",
                f"Choose at most {spec['places']} of this round's candidates",
            ),
            errors=[{"detail": "unknown candidate or too many choices", "pointer": "/choices"}],
        )
    return Receipt(
        election_id=election_id,
        round_no=opened.round_no,
        tracker=tracker,
        nonce=nonce,
        serial=row["ballot_serial"],
        cast_at=row["ballot_cast_at"],
        replaced_previous=row["replaced"],
    )


async def turnout(session: AsyncSession, identity: Identity, election_id: uuid.UUID) -> dict[str, Any]:
    """Live turnout for staff and observers: a count, never partial results."""
    election = await load(session, election_id)
    if not can_watch(identity, election):
        raise NotObserverOfElection()
    cast = await repo.ballots_cast(session, election.id, election.current_round) if election.current_round else 0
    size = election.roll_size or 0
    return {
        "election_id": election.id,
        "status": election.status,
        "round_no": election.current_round,
        "roll_size": size,
        "ballots_cast": cast,
        "turnout_percent": round(100 * cast / size, 2) if size else 0.0,
    }


async def find_tracker(session: AsyncSession, election_id: uuid.UUID, tracker: str) -> dict[str, Any]:
    """Whether a tracker's ballot was received, and once its round closed, whether it counted."""
    election = await load(session, election_id)
    row = await repo.find_tracker(session, election.id, tracker.lower()) if len(tracker) == 64 else None
    if row is None:
        raise TrackerNotFound()
    round_open = election.status in OPEN_FOR_VOTING and row.round_no == election.current_round
    state = "received" if round_open else ("counted" if row.counted else "superseded")
    return {"tracker": tracker.lower(), "round_no": row.round_no, "state": state, "log_seq": row.log_seq}


# -- lots, certification, results, the record -------------------------------------------------


async def enter_lot(session: AsyncSession, identity: Identity, election_id: uuid.UUID, body: LotIn) -> Election:
    """Staff enter the values of the named sources after the round closed; the lot is drawn and logged."""
    election = await load(session, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    result = election.result or {}
    if election.status != "tallied" or result.get("status") != "needs_lot":
        raise WrongPhase(Text("当前无需抽签", "No lot is due"))
    sources = rules_of(election).lot_sources
    if len(body.values) != len(sources):
        raise ValidationFailed(
            Text(f"需要 {len(sources)} 个随机源的值", f"Values for the {len(sources)} named sources are needed"),
            errors=[{"detail": f"expected {len(sources)} values", "pointer": "/values"}],
        )
    round_no = election.current_round
    election.lot_values = {**election.lot_values, str(round_no): body.values}
    await append(
        session, election, "lot_values_entered", {"round_no": round_no, "sources": sources, "values": body.values}
    )
    await _tally(session, election)
    await repo.flush(session)
    return election


async def approve_result(
    session: AsyncSession, identity: Identity, election_id: uuid.UUID, result_hash: str
) -> dict[str, Any]:
    """An observer of this election approves the result hash."""
    election = await load(session, election_id, for_update=True)
    if election.id not in identity.election_ids:
        raise NotObserverOfElection()
    if election.status != "tallied" or (election.result or {}).get("status") != "complete":
        raise WrongPhase(Text("结果尚不能确认", "There is no complete result to approve"))
    if result_hash != election.result_hash:
        raise ResultMismatch()
    await repo.add_certification(session, election.id, identity.subject, result_hash)
    await append(session, election, "observer_approved", {"observer": identity.subject, "result_hash": result_hash})
    approvals = await repo.certifications_for(session, election.id, result_hash)
    needed = rules_of(election).certification_quorum
    return {"election_id": election.id, "approvals": len(approvals), "needed": needed, "certified": False}


async def result(session: AsyncSession, election_id: uuid.UUID) -> dict[str, Any]:
    """The results JSON, available once a round has been tallied; never while voting is open."""
    election = await load(session, election_id)
    if election.result is None or election.status in OPEN_FOR_VOTING:
        raise WrongPhase(Text("投票结束并计票后才公布结果", "Results exist only after voting closed and was tallied"))
    names = {str(c.id): c.name for c, _ in await repo.list_candidates(session, election.id)}
    return {
        "election_id": str(election.id),
        "status": election.status,
        "result_hash": election.result_hash,
        "candidates": names,
        "result": election.result,
    }


async def record(session: AsyncSession, election_id: uuid.UUID) -> dict[str, Any]:
    """The whole public record: rules, candidates, roll and fingerprint, log, closed rounds' ballots, result."""
    election = await load(session, election_id)
    candidates = await repo.list_candidates(session, election.id)
    roll_entries = await repo.list_roll(session, election.id)
    entries = await repo.log_entries(session, election.id)
    closed_rounds = election.current_round - (1 if election.status in OPEN_FOR_VOTING else 0)
    ballots = await repo.all_ballots(session, election.id, closed_rounds)
    show_result = election.status not in OPEN_FOR_VOTING
    return {
        "format": "binjiang-election-record/1",
        "election": _public_election(election) | {"status": election.status},
        "candidates": [
            {"candidate_id": str(c.id), "name": c.name, "status": c.status, "ballot_number": c.ballot_number}
            for c, _ in candidates
        ],
        "roll": {
            "as_of": election.record_date.isoformat(),
            "fingerprint": election.roll_fingerprint,
            "size": election.roll_size,
            "items": [{"enterprise_id": str(e.enterprise_id), "uscc": e.uscc, "name": e.name} for e in roll_entries],
        },
        "log": [
            {"seq": e.seq, "type": e.type, "at": e.recorded_at, "payload": e.payload, "prev": e.prev, "hash": e.hash}
            for e in entries
        ],
        "ballots": [
            {"round_no": b.round_no, "tracker": b.tracker, "choices": b.choices, "counted": bool(b.counted)}
            for b in ballots
        ],
        "result": election.result if show_result else None,
        "result_hash": election.result_hash if show_result else None,
    }


async def certified_record(session: AsyncSession, election_id: uuid.UUID) -> dict[str, Any]:
    """The public record of a certified election, which its certificate is drawn from."""
    election = await load(session, election_id)
    if election.status != "certified":
        raise WrongPhase(Text("选举确认后才有结果公告", "The certificate exists once the election is certified"))
    return await record(session, election_id)


# -- registry events --------------------------------------------------------------------------

LIVE_ROLL_STATES = (
    "roll_frozen",
    "voting_open",
    "voting_closed",
    "tallied",
    "runoff_open",
    "runoff_closed",
    "suspended",
)


async def on_registry_event(session: AsyncSession, event: FeedEvent) -> None:
    """Deregistration after the freeze loses the uncast vote; a new representative takes over casting."""
    payload = event.payload
    if event.type == "EnterpriseStatusChanged" and payload.get("status") == "deregistered":
        enterprise_id = uuid.UUID(str(payload["enterprise_id"]))
        for entry, election in await repo.roll_entries_of_enterprise(session, enterprise_id, LIVE_ROLL_STATES):
            if not entry.entitled:
                continue
            entry.entitled = False
            entry.entitlement_note = f"deregistered on {payload.get('effective_on')}"
            await append(
                session,
                election,
                "entitlement_lost",
                {"uscc": entry.uscc, "effective_on": payload.get("effective_on"), "reason": "deregistered"},
            )
        await repo.flush(session)
    elif event.type == "RepresentativeChanged":
        enterprise_id = uuid.UUID(str(payload["enterprise_id"]))
        rows = await repo.roll_entries_of_enterprise(session, enterprise_id, LIVE_ROLL_STATES)
        await repo.set_representative(session, enterprise_id, payload.get("user_subject"), [e.id for _, e in rows])
