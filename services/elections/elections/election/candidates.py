"""Candidates: nominations (alone or joint), review, publication's objections and their decisions."""

from __future__ import annotations

import uuid

from elections.election.exceptions import (
    CandidateNotFound,
    NotInCommunity,
    NotStaffOfCommunity,
    ObjectionNotFound,
    WrongPhase,
)
from elections.election.journal import append, can_watch, ensure_staff, load, present_candidate
from elections.election.models import Candidate, Election, Objection
from elections.election.repository import ElectionRepository
from elections.election.schemas import (
    CandidateCreate,
    CandidateOut,
    ObjectionCreate,
    ObjectionDecision,
    ObjectionOut,
    ReviewIn,
)
from elections.election.states import ElectionStatus
from shared.auth import Identity
from shared.i18n import Text
from shared.uow import UnitOfWork

JOINT_NOMINATORS = 5


def _ensure_rep_in_community(identity: Identity, election: Election) -> uuid.UUID:
    if identity.enterprise_id is None or election.community_id not in identity.community_ids:
        raise NotInCommunity()
    return identity.enterprise_id


async def list_candidates(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID) -> list[CandidateOut]:
    """In ballot order once published."""
    election = await load(uow, election_id)
    rows = await uow.repository(ElectionRepository).list_candidates(election.id)
    return [present_candidate(c, n) for c, n in rows]


async def nominate(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, body: CandidateCreate) -> CandidateOut:
    """An enterprise's representative nominates a natural person (alone, or opening a joint nomination)."""
    election = await load(uow, election_id, for_update=True)
    enterprise_id = _ensure_rep_in_community(identity, election)
    if election.status != ElectionStatus.nomination:
        raise WrongPhase(Text("当前不在提名阶段", "Nominations are not open"))
    candidate = Candidate(
        id=uuid.uuid4(),
        election_id=election.id,
        name=body.name,
        profile=body.profile,
        kind=body.kind,
        status="nominated",
    )
    elections = uow.repository(ElectionRepository)
    elections.add(candidate)
    await elections.flush()
    await elections.add_nomination(candidate.id, enterprise_id, identity.subject)
    await append(
        uow,
        election,
        "candidate_nominated",
        {
            "candidate_id": str(candidate.id),
            "name": candidate.name,
            "kind": candidate.kind,
            "enterprise_id": str(enterprise_id),
        },
    )
    await elections.flush()
    return present_candidate(candidate, 1)


async def endorse(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, candidate_id: uuid.UUID) -> CandidateOut:
    """Another enterprise joins a joint nomination."""
    election = await load(uow, election_id, for_update=True)
    enterprise_id = _ensure_rep_in_community(identity, election)
    if election.status != ElectionStatus.nomination:
        raise WrongPhase(Text("当前不在提名阶段", "Nominations are not open"))
    elections = uow.repository(ElectionRepository)
    candidate = await elections.get_candidate(election.id, candidate_id)
    if candidate is None:
        raise CandidateNotFound()
    if candidate.kind != "joint":
        raise WrongPhase(Text("只有联名提名可以附议", "Only a joint nomination takes more nominators"))
    if await elections.add_nomination(candidate.id, enterprise_id, identity.subject):
        await append(
            uow,
            election,
            "nomination_endorsed",
            {"candidate_id": str(candidate.id), "enterprise_id": str(enterprise_id)},
        )
    return present_candidate(candidate, await elections.nomination_count(candidate.id))


async def review(
    uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, candidate_id: uuid.UUID, body: ReviewIn
) -> CandidateOut:
    """Staff approve or reject a nomination, with a reason; a joint one needs five nominators."""
    election = await load(uow, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    if election.status != ElectionStatus.candidate_review:
        raise WrongPhase(Text("当前不在候选人审核阶段", "Candidates are not under review"))
    elections = uow.repository(ElectionRepository)
    candidate = await elections.get_candidate(election.id, candidate_id, for_update=True)
    if candidate is None:
        raise CandidateNotFound()
    backers = await elections.nomination_count(candidate.id)
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
        uow,
        election,
        "candidate_reviewed",
        {"candidate_id": str(candidate.id), "decision": candidate.status, "reason": body.reason},
    )
    await elections.flush()
    return present_candidate(candidate, backers)


async def object_to(
    uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, candidate_id: uuid.UUID, body: ObjectionCreate
) -> ObjectionOut:
    """Anyone of the community files an objection during publication (公示)."""
    election = await load(uow, election_id, for_update=True)
    if not identity.staff_of(election.community_id):
        _ensure_rep_in_community(identity, election)
    if election.status != ElectionStatus.candidates_published:
        raise WrongPhase(Text("只能在公示期内提出异议", "Objections are taken during publication only"))
    elections = uow.repository(ElectionRepository)
    candidate = await elections.get_candidate(election.id, candidate_id)
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
    elections.add(objection)
    await append(
        uow,
        election,
        "objection_filed",
        {"objection_id": str(objection.id), "candidate_id": str(candidate.id), "reason": body.reason},
    )
    await elections.flush()
    return ObjectionOut.model_validate(objection)


async def objections(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID) -> list[ObjectionOut]:
    """Staff of the community and the election's observers see every objection and its decision."""
    election = await load(uow, election_id)
    if not can_watch(identity, election):
        raise NotStaffOfCommunity()
    return [
        ObjectionOut.model_validate(o) for o in await uow.repository(ElectionRepository).list_objections(election.id)
    ]


async def decide_objection(
    uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, objection_id: uuid.UUID, body: ObjectionDecision
) -> ObjectionOut:
    """Staff uphold (the candidate is struck off) or dismiss an objection, with a reason."""
    election = await load(uow, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    elections = uow.repository(ElectionRepository)
    objection = await elections.get_objection(election.id, objection_id)
    if objection is None:
        raise ObjectionNotFound()
    if objection.status != "open" or election.status != ElectionStatus.candidates_published:
        raise WrongPhase(Text("该异议已处理或不在公示期", "The objection is decided or publication is over"))
    objection.status = body.decision
    objection.decision_reason = body.reason
    if body.decision == "upheld":
        candidate = await elections.get_candidate(election.id, objection.candidate_id, for_update=True)
        assert candidate is not None
        candidate.status = "rejected"
        candidate.review_reason = body.reason
    await append(
        uow,
        election,
        "objection_decided",
        {"objection_id": str(objection.id), "decision": body.decision, "reason": body.reason},
    )
    await elections.flush()
    return ObjectionOut.model_validate(objection)
