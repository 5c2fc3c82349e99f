"""`/v1/committees`: the governance committee formed from a certified election (seats, term)."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Query, Request, Response

from elections.deliberation.committee import service
from elections.deliberation.committee.schemas import CommitteeCreate, CommitteeOut, CommitteeSummary
from elections.deliberation.roles import MEMBERS, STAFF
from elections.election.dependencies import RollFetcherDep
from shared.auth import CurrentIdentity, allow
from shared.concurrency import set_etag
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_keyset, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/committees", tags=["deliberation"])


@router.post(
    "",
    status_code=201,
    summary="Form the committee from a certified election (seats, representatives, term)",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422, 503),
)
async def form_committee(
    body: CommitteeCreate, uow: UnitOfWorkDep, identity: CurrentIdentity, fetch_roll: RollFetcherDep, response: Response
) -> CommitteeOut:
    """Staff of the election's community; the community's previous committee ends."""
    out = await service.form(uow, identity, body, fetch_roll)
    response.headers["Location"] = f"/v1/committees/{out.id}"
    set_etag(response, out.version)
    return out


@router.get("", summary="List committees", dependencies=[allow(*MEMBERS)], responses=problem_responses(400))
async def list_committees(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    request: Request,
    response: Response,
    limit: Limit = 20,
    cursor: Cursor = None,
    community_id: uuid.UUID | None = Query(None, description="Only this community's committees"),
) -> Page[CommitteeSummary]:
    """Newest first; the communities of your token (admins: every one)."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    page = await service.page(uow, identity, community_id, after, limit)
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/{committee_id}",
    summary="One committee with its seats",
    dependencies=[allow(*MEMBERS)],
    responses=problem_responses(404),
)
async def get_committee(
    committee_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> CommitteeOut:
    """Members of the community (others: 404 `COMMITTEE_NOT_FOUND`); representatives' logins are never shown."""
    out = await service.get(uow, identity, committee_id)
    set_etag(response, out.version)
    return out
