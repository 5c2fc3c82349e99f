"""`/v1/proposals`: matters put before the committee (议题), their supports, merges and answers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from elections.deliberation.proposals import service
from elections.deliberation.proposals.schemas import AnswerIn, MergeIn, ProposalCreate, ProposalOut, SupportOut
from elections.deliberation.roles import MEMBERS, PEOPLE, STAFF
from elections.deliberation.states import ProposalCategory, ProposalStatus
from shared.auth import CurrentIdentity, allow
from shared.concurrency import set_etag
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_keyset, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/proposals", tags=["deliberation"])


def _tagged(out: ProposalOut, response: Response) -> ProposalOut:
    set_etag(response, out.version)
    return out


@router.post(
    "",
    status_code=201,
    summary="Put a matter before the committee (a proposal, 议题)",
    dependencies=[allow(*PEOPLE)],
    responses=problem_responses(403, 422),
)
async def submit_proposal(
    body: ProposalCreate, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ProposalOut:
    """A representative or an employee whose token names the community."""
    out = await service.submit(uow, identity, body)
    response.headers["Location"] = f"/v1/proposals/{out.id}"
    return _tagged(out, response)


@router.get("", summary="List and search proposals", dependencies=[allow(*MEMBERS)], responses=problem_responses(400))
async def list_proposals(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    request: Request,
    response: Response,
    limit: Limit = 20,
    cursor: Cursor = None,
    community_id: uuid.UUID | None = Query(None, description="Only this community's proposals"),
    status: ProposalStatus | None = Query(None, description="Only proposals in this state"),
    category: ProposalCategory | None = Query(None, description="Only this category"),
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Words in the title or text")] = None,
) -> Page[ProposalOut]:
    """Newest first; the communities of your token (admins: every one)."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    filters = {"status": status, "category": category, "q": q}
    page = await service.page(uow, identity, community_id, filters, after, limit)
    link_next(request, response, page.next_cursor)
    return page


@router.get("/{proposal_id}", summary="One proposal", dependencies=[allow(*MEMBERS)], responses=problem_responses(404))
async def get_proposal(
    proposal_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ProposalOut:
    """Members of its community (others: 404 `PROPOSAL_NOT_FOUND`)."""
    return _tagged(await service.get(uow, identity, proposal_id), response)


@router.post(
    "/{proposal_id}/supports",
    status_code=201,
    summary="Support a proposal (once per enterprise, once per person)",
    dependencies=[allow(*PEOPLE)],
    responses=problem_responses(403, 404, 409),
)
async def support_proposal(proposal_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> SupportOut:
    """A representative supports for their enterprise, an employee for themself; twice is 409 `ALREADY_SUPPORTED`."""
    return await service.support(uow, identity, proposal_id)


@router.post(
    "/{proposal_id}/merges",
    summary="Merge a duplicate into the proposal it repeats",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def merge_proposal(
    proposal_id: uuid.UUID, body: MergeIn, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ProposalOut:
    """Staff of the community; the duplicate's supports move to the target, one per supporter."""
    return _tagged(await service.merge(uow, identity, proposal_id, body), response)


@router.post(
    "/{proposal_id}/answers",
    summary="Answer a proposal on the record (and optionally close it)",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def answer_proposal(
    proposal_id: uuid.UUID, body: AnswerIn, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ProposalOut:
    """Staff of the community."""
    return _tagged(await service.answer(uow, identity, proposal_id, body), response)
