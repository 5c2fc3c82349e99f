"""Counting, lots, observers' approvals, certification, the results and the public record."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from elections.counting.approval import approval_statement, signature_valid
from elections.counting.chain import digest, verify_chain
from elections.counting.lot import SourceValue
from elections.counting.tally import CrossCheckFailed, InvalidBallot, evaluate, outcome_json
from elections.election.certificate import render_certificate
from elections.election.exceptions import (
    AlreadyApproved,
    ApprovalSignatureInvalid,
    CrossCheckDisagreement,
    NotObserverOfElection,
    ResultMismatch,
    WrongPhase,
)
from elections.election.journal import (
    append,
    chain_pending_ballots,
    ensure_staff,
    load,
    present,
    public_election,
    refuse,
    rules_of,
)
from elections.election.models import Election
from elections.election.repository import BallotRepository, ElectionRepository
from elections.election.schemas import (
    CertificationIn,
    CertificationOut,
    ElectionOut,
    ElectionResult,
    LotIn,
    PublicRecord,
    RecordBallot,
    RecordCandidate,
    RecordLogEntry,
    RecordRoll,
    RecordRollItem,
)
from elections.election.states import OPEN_FOR_VOTING, ElectionStatus
from shared.auth import Identity
from shared.errors import ValidationFailed
from shared.i18n import Text
from shared.uow import UnitOfWork


async def ballot_candidates(uow: UnitOfWork, election: Election) -> list[str]:
    """The approved candidates' ids in ballot order."""
    candidates = await uow.repository(ElectionRepository).list_candidates(election.id)
    approved = [c for c, _ in candidates if c.status == "approved"]
    return [str(c.id) for c in sorted(approved, key=lambda c: c.ballot_number or 0)]


async def tally(uow: UnitOfWork, election: Election) -> None:
    """Count every round held so far, cross-checked with votelib; disagreement blocks the step."""
    candidates = await ballot_candidates(uow, election)
    counted = await uow.repository(BallotRepository).counted(election.id)
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
        uow,
        election,
        "tally_computed",
        {"round_no": election.current_round, "status": outcome.status, "result_hash": election.result_hash},
    )
    last = outcome.rounds[-1] if outcome.rounds else None
    if last is not None and last.spec.kind == "tie_revote" and outcome.status != "needs_lot":
        lot = next((lot for lot in outcome.lots if lot.round_no == last.round_no), None)
        decided = {"round_no": last.round_no, "tied": list(last.spec.candidates), "places": last.spec.places}
        if lot is None:
            await append(uow, election, "tie_resolved", decided | {"by": "revote", "elected": list(last.elected)})
        else:
            resolution = {"by": "lot (RFC 3797)", "seed": lot.seed, "steps": lot.steps, "elected": list(lot.selected)}
            await append(uow, election, "tie_resolved", decided | resolution)


async def certify(uow: UnitOfWork, election: Election) -> None:
    """The step to `certified`: k approvals of the complete result, the log verified, the key destroyed."""
    result = election.result or {}
    if result.get("status") != "complete":
        raise refuse("计票尚未完成", f"The result is {result.get('status')}, not complete")
    rules = rules_of(election)
    assert election.result_hash is not None
    elections = uow.repository(ElectionRepository)
    approvals = await elections.certifications_for(election.id, election.result_hash)
    if len(approvals) < rules.certification_quorum:
        raise refuse(
            f"需要 {rules.certification_quorum} 名监票人确认,当前 {len(approvals)} 名",
            f"{rules.certification_quorum} observer approvals are needed; there are {len(approvals)}",
        )
    await chain_pending_ballots(uow, election)
    entries = await elections.log_entries(election.id)
    problems = verify_chain(
        {"seq": e.seq, "type": e.type, "at": e.recorded_at, "payload": e.payload, "prev": e.prev, "hash": e.hash}
        for e in entries
    )
    if problems:
        raise CrossCheckDisagreement(f"the log fails verification at entry {problems[0].seq}")
    await elections.destroy_secret(election.id)
    await append(
        uow,
        election,
        "certified",
        {"result_hash": election.result_hash, "observers": approvals, "link_key_destroyed": True},
    )


async def enter_lot(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, body: LotIn) -> ElectionOut:
    """Staff enter the values of the named sources after the round closed; the lot is drawn and logged."""
    election = await load(uow, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    result = election.result or {}
    if election.status != ElectionStatus.tallied or result.get("status") != "needs_lot":
        raise WrongPhase(Text("当前无需抽签", "No lot is due"))
    sources = rules_of(election).lot_sources
    if len(body.values) != len(sources):
        raise ValidationFailed(
            Text(f"需要 {len(sources)} 个随机源的值", f"Values for the {len(sources)} named sources are needed"),
            errors=[{"detail": f"expected {len(sources)} values", "pointer": "/values"}],
        )
    round_no = election.current_round
    election.lot_values = {**election.lot_values, str(round_no): body.values}
    await append(uow, election, "lot_values_entered", {"round_no": round_no, "sources": sources, "values": body.values})
    await tally(uow, election)
    await uow.flush()
    return present(election)


async def approve_result(
    uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, body: CertificationIn
) -> CertificationOut:
    """An observer of this election approves the result hash by their Ed25519 signature, once."""
    election = await load(uow, election_id, for_update=True)
    if election.id not in identity.election_ids:
        raise NotObserverOfElection()
    if election.status != ElectionStatus.tallied or (election.result or {}).get("status") != "complete":
        raise WrongPhase(Text("结果尚不能确认", "There is no complete result to approve"))
    if body.result_hash != election.result_hash:
        raise ResultMismatch()
    statement = approval_statement(str(election.id), identity.subject, body.result_hash)
    if not signature_valid(body.public_key, statement, body.signature):
        raise ApprovalSignatureInvalid(
            Text("签名与本人、本次选举和结果哈希不符", "The signature is not this observer's over this result"),
            errors=[{"detail": "the signature of the approval statement does not verify", "pointer": "/signature"}],
        )
    elections = uow.repository(ElectionRepository)
    if not await elections.add_certification(
        election.id, identity.subject, body.result_hash, body.public_key, body.signature
    ):
        raise AlreadyApproved()
    approval = {
        "observer": identity.subject,
        "result_hash": body.result_hash,
        "public_key": body.public_key,
        "signature": body.signature,
    }
    await append(uow, election, "observer_approved", approval)
    approvals = await elections.certifications_for(election.id, body.result_hash)
    needed = rules_of(election).certification_quorum
    return CertificationOut(election_id=election.id, approvals=len(approvals), needed=needed, certified=False)


async def result(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID) -> ElectionResult:
    """The results JSON, available once a round has been tallied; never while voting is open."""
    election = await load(uow, election_id)
    if election.result is None or election.status in OPEN_FOR_VOTING:
        raise WrongPhase(Text("投票结束并计票后才公布结果", "Results exist only after voting closed and was tallied"))
    names = {str(c.id): c.name for c, _ in await uow.repository(ElectionRepository).list_candidates(election.id)}
    return ElectionResult(
        election_id=election.id,
        status=ElectionStatus(election.status),
        result_hash=election.result_hash,
        candidates=names,
        result=election.result,
    )


async def record(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID) -> PublicRecord:
    """The whole public record: rules, candidates, roll and fingerprint, log, closed rounds' ballots, result."""
    election = await load(uow, election_id)
    elections = uow.repository(ElectionRepository)
    candidates = await elections.list_candidates(election.id)
    roll_entries = await elections.list_roll(election.id)
    entries = await elections.log_entries(election.id)
    closed_rounds = election.current_round - (1 if election.status in OPEN_FOR_VOTING else 0)
    ballots = await uow.repository(BallotRepository).published(election.id, closed_rounds)
    show_result = election.status not in OPEN_FOR_VOTING
    return PublicRecord(
        election=public_election(election) | {"status": election.status},
        candidates=[
            RecordCandidate(candidate_id=c.id, name=c.name, status=c.status, ballot_number=c.ballot_number)
            for c, _ in candidates
        ],
        roll=RecordRoll(
            as_of=election.record_date,
            fingerprint=election.roll_fingerprint,
            size=election.roll_size,
            items=[RecordRollItem(enterprise_id=e.enterprise_id, uscc=e.uscc, name=e.name) for e in roll_entries],
        ),
        log=[
            RecordLogEntry(seq=e.seq, type=e.type, at=e.recorded_at, payload=e.payload, prev=e.prev, hash=e.hash)
            for e in entries
        ],
        ballots=[
            RecordBallot(round_no=b.round_no, tracker=b.tracker, choices=b.choices, counted=bool(b.counted))
            for b in ballots
        ],
        result=election.result if show_result else None,
        result_hash=election.result_hash if show_result else None,
    )


async def certificate(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, verify_url: str) -> bytes:
    """The announcement PDF of a certified election, drawn from its public record."""
    election = await load(uow, election_id)
    if election.status != ElectionStatus.certified:
        raise WrongPhase(Text("选举确认后才有结果公告", "The certificate exists once the election is certified"))
    public = (await record(uow, identity, election_id)).model_dump(mode="json")
    return await run_in_threadpool(render_certificate, public, verify_url)  # CPU work, off the event loop
