"""`/v1/elections`: lifecycle, candidates, roll, ballots, trackers, lots, certification and the record.

Each route parses its input, names its roles and calls one service function with the unit of work
and the caller's identity (docs/architecture.md, "The shape").
"""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Query, Request, Response

from elections.database import platform_tables
from elections.election import ballots, candidates, lifecycle, results, roll
from elections.election.dependencies import RollFetcherDep
from elections.election.schemas import (
    BallotIn,
    CandidateCreate,
    CandidateOut,
    CertificationIn,
    CertificationOut,
    ElectionCreate,
    ElectionOut,
    ElectionResult,
    LotIn,
    ObjectionCreate,
    ObjectionDecision,
    ObjectionOut,
    PublicRecord,
    Receipt,
    ReviewIn,
    RollAmendment,
    RollOut,
    TrackerOut,
    TransitionIn,
    Turnout,
)
from shared.addresses import public_base_url
from shared.auth import USER_ROLES, CurrentIdentity, Role, allow
from shared.concurrency import set_etag
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.pagination import Cursor, Limit, Page, decode_keyset, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/elections", tags=["elections"])

STAFF = (Role.platform_admin, Role.community_staff)
WATCHERS = (Role.platform_admin, Role.community_staff, Role.election_observer)
VIEWERS = (Role.platform_admin, Role.community_staff, Role.enterprise_rep, Role.employee, Role.election_observer)


def _tagged(out: ElectionOut, response: Response) -> ElectionOut:
    set_etag(response, out.version)
    return out


@router.post(
    "",
    status_code=201,
    summary="Create an election (draft); its rules are fixed and logged",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 409, 422),
)
async def create_election(
    body: ElectionCreate, uow: UnitOfWorkDep, identity: CurrentIdentity, request: Request
) -> Response:
    """Create a draft election for a community; accepts `Idempotency-Key`."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    replay = await idempotency.begin(body)
    if replay is not None:
        return replay
    out = await lifecycle.create_election(uow, identity, body)
    headers = {"Location": f"/v1/elections/{out.id}", "ETag": f'"v{out.version}"'}
    return await idempotency.complete(out, status_code=201, headers=headers)


@router.get("", summary="List elections", dependencies=[allow(*VIEWERS)], responses=problem_responses(400))
async def list_elections(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    request: Request,
    response: Response,
    limit: Limit = 20,
    cursor: Cursor = None,
    community_id: uuid.UUID | None = Query(None, description="Only this community's elections"),
) -> Page[ElectionOut]:
    """Newest first, keyset-paginated."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    page = await lifecycle.list_elections(uow, identity, community_id, after, limit)
    link_next(request, response, page.next_cursor)
    return page


@router.get("/{election_id}", summary="One election", dependencies=[allow(*VIEWERS)], responses=problem_responses(404))
async def get_election(
    election_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ElectionOut:
    """The election with its status, rules, roll fingerprint and current round."""
    return _tagged(await lifecycle.get_election(uow, identity, election_id), response)


@router.post(
    "/{election_id}/transitions",
    summary="Move the election to its next state (with the checks that step implies)",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422, 503),
)
async def transition(
    election_id: uuid.UUID,
    body: TransitionIn,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    fetch_roll: RollFetcherDep,
    response: Response,
) -> ElectionOut:
    """`to` is the next state; `suspended` and `voided` need a `reason`."""
    return _tagged(await lifecycle.transition(uow, identity, election_id, body, fetch_roll), response)


@router.post(
    "/{election_id}/reruns",
    status_code=201,
    summary="Create a re-run of a voided election",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409),
)
async def rerun(
    election_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ElectionOut:
    """A new draft with the same rules, linked to the voided election."""
    out = await lifecycle.rerun(uow, identity, election_id)
    response.headers["Location"] = f"/v1/elections/{out.id}"
    return _tagged(out, response)


@router.get(
    "/{election_id}/candidates",
    summary="Candidates and their review state",
    dependencies=[allow(*VIEWERS)],
    responses=problem_responses(404),
)
async def list_candidates(
    election_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> dict[str, list[CandidateOut]]:
    """In ballot order once published."""
    return {"items": await candidates.list_candidates(uow, identity, election_id)}


@router.post(
    "/{election_id}/candidates",
    status_code=201,
    summary="Nominate a candidate (by your enterprise, or open a joint nomination)",
    dependencies=[allow(Role.enterprise_rep)],
    responses=problem_responses(403, 404, 409, 422),
)
async def nominate(
    election_id: uuid.UUID, body: CandidateCreate, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> CandidateOut:
    """One eligible enterprise's representative nominates; a joint nomination needs five enterprises."""
    return await candidates.nominate(uow, identity, election_id, body)


@router.post(
    "/{election_id}/candidates/{candidate_id}/nominations",
    summary="Join a joint nomination for your enterprise",
    dependencies=[allow(Role.enterprise_rep)],
    responses=problem_responses(403, 404, 409),
)
async def endorse(
    election_id: uuid.UUID, candidate_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> CandidateOut:
    """Adds your enterprise to the nominators (once)."""
    return await candidates.endorse(uow, identity, election_id, candidate_id)


@router.post(
    "/{election_id}/candidates/{candidate_id}/reviews",
    summary="Approve or reject a nomination, with a reason",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def review(
    election_id: uuid.UUID, candidate_id: uuid.UUID, body: ReviewIn, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> CandidateOut:
    """Only during `candidate_review`."""
    return await candidates.review(uow, identity, election_id, candidate_id, body)


@router.post(
    "/{election_id}/candidates/{candidate_id}/objections",
    status_code=201,
    summary="Object to a published candidate",
    dependencies=[allow(Role.platform_admin, Role.community_staff, Role.enterprise_rep, Role.employee)],
    responses=problem_responses(403, 404, 409, 422),
)
async def object_to(
    election_id: uuid.UUID,
    candidate_id: uuid.UUID,
    body: ObjectionCreate,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> ObjectionOut:
    """During the publication (公示) window only."""
    return await candidates.object_to(uow, identity, election_id, candidate_id, body)


@router.get(
    "/{election_id}/objections",
    summary="Objections and their decisions",
    dependencies=[allow(*WATCHERS)],
    responses=problem_responses(403, 404),
)
async def list_objections(
    election_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> dict[str, list[ObjectionOut]]:
    """Every objection filed, oldest first (staff of the community, the election's observers)."""
    return {"items": await candidates.objections(uow, identity, election_id)}


@router.post(
    "/{election_id}/objections/{objection_id}/decisions",
    summary="Uphold (the candidate is struck off) or dismiss an objection",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def decide_objection(
    election_id: uuid.UUID,
    objection_id: uuid.UUID,
    body: ObjectionDecision,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> ObjectionOut:
    """With a reason; logged."""
    return await candidates.decide_objection(uow, identity, election_id, objection_id, body)


@router.get(
    "/{election_id}/roll",
    summary="The frozen roll and its fingerprint",
    dependencies=[allow(*WATCHERS)],
    responses=problem_responses(403, 404),
)
async def get_roll(election_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> RollOut:
    """Staff of the community and the election's observers."""
    return await roll.roll(uow, identity, election_id)


@router.post(
    "/{election_id}/roll/amendments",
    summary="Amend the frozen roll with a reason (logged publicly)",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def amend_roll(
    election_id: uuid.UUID, body: RollAmendment, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ElectionOut:
    """Between freezing and opening; never a silent edit."""
    return _tagged(await roll.amend_roll(uow, identity, election_id, body), response)


@router.post(
    "/{election_id}/ballots",
    status_code=201,
    summary="Cast your enterprise's ballot (re-voting allowed; the last one counts)",
    dependencies=[allow(Role.enterprise_rep)],
    responses=problem_responses(403, 404, 409, 422),
)
async def cast(election_id: uuid.UUID, body: BallotIn, uow: UnitOfWorkDep, identity: CurrentIdentity) -> Receipt:
    """Only the current authorised representative of an enterprise on the roll, while voting is open.

    A retry after a lost response simply casts again: the last ballot counts, its receipt is the one to keep.
    """
    return await ballots.cast(uow, identity, election_id, body)


@router.get(
    "/{election_id}/turnout",
    summary="Live turnout (never partial results)",
    dependencies=[allow(*WATCHERS)],
    responses=problem_responses(403, 404),
)
async def turnout(election_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> Turnout:
    """Ballots cast in the current round against the roll size."""
    return await ballots.turnout(uow, identity, election_id)


@router.get(
    "/{election_id}/trackers/{code}",
    summary="Confirm your ballot was received and counted",
    dependencies=[allow(*USER_ROLES)],
    responses=problem_responses(404),
)
async def tracker(election_id: uuid.UUID, code: str, uow: UnitOfWorkDep, identity: CurrentIdentity) -> TrackerOut:
    """A forged or unknown tracker is 404 `TRACKER_NOT_FOUND`."""
    return await ballots.find_tracker(uow, identity, election_id, code)


@router.post(
    "/{election_id}/lots",
    summary="Enter the public random values; the RFC 3797 lot is drawn and logged",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def enter_lot(
    election_id: uuid.UUID, body: LotIn, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ElectionOut:
    """Only when the tally is waiting for a lot."""
    return _tagged(await results.enter_lot(uow, identity, election_id, body), response)


@router.post(
    "/{election_id}/certifications",
    summary="Approve the result hash as one of the election's observers",
    dependencies=[allow(Role.election_observer)],
    responses=problem_responses(403, 404, 409, 422),
)
async def approve_result(
    election_id: uuid.UUID, body: CertificationIn, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> CertificationOut:
    """k approvals of the same hash let staff move the election to `certified`."""
    return await results.approve_result(uow, identity, election_id, body)


@router.get(
    "/{election_id}/result",
    summary="Results JSON (after the tally)",
    dependencies=[allow(*USER_ROLES)],
    responses=problem_responses(404, 409),
)
async def get_result(election_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> ElectionResult:
    """Per-candidate approvals, blanks, turnout, quorum, thresholds, run-offs, ties, method, versions."""
    return await results.result(uow, identity, election_id)


@router.get(
    "/{election_id}/certificate",
    summary="The result announcement (选举结果公告) as a PDF, in Chinese and English",
    dependencies=[allow(*USER_ROLES)],
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problem_responses(404, 409),
    },
    response_class=Response,
)
async def get_certificate(
    election_id: uuid.UUID, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Community, seats, candidates and counts, turnout, run-offs and lots, final hash, observers."""
    verify_url = f"{public_base_url(request)}v1/elections/{election_id}/record"
    pdf = await results.certificate(uow, identity, election_id, verify_url)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="election-{election_id}.pdf"'},
    )


@router.get(
    "/{election_id}/record",
    summary="The whole public record, for `python -m elections.verify`",
    dependencies=[allow(*USER_ROLES)],
    responses=problem_responses(404),
)
async def get_record(election_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> PublicRecord:
    """Rules, candidates, roll and fingerprint, the hash-chained log, closed rounds' ballots, the result."""
    return await results.record(uow, identity, election_id)
