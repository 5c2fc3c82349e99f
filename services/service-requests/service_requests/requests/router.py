"""`/v1/service-requests`: submission, workflow, timeline, comments, rating, lists and stats."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from service_requests.catalogue.schemas import Category, Scenario
from service_requests.database import platform_tables
from service_requests.requests import queries, ratings, submission, transitions
from service_requests.requests.schemas import (
    CommentCreate,
    ListFilters,
    PartnerRequestRead,
    RatingCreate,
    RequestCreate,
    RequestCreated,
    RequestRead,
    RequestSort,
    RequestStats,
    ReturnVisitCreate,
    Timeline,
    TimelineEntry,
    TransitionCreate,
)
from service_requests.requests.workflow import Status
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, set_etag
from shared.db import utcnow
from shared.errors import check_date_range, problem_responses
from shared.idempotency import Idempotency
from shared.iso import IsoDate
from shared.pagination import Cursor, Limit, Page, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/service-requests", tags=["service-requests"])

REQUESTERS = (Role.enterprise_rep, Role.employee)
PARTICIPANTS = (Role.platform_admin, Role.community_staff, Role.partner, Role.enterprise_rep, Role.employee)
STAFF = (Role.platform_admin, Role.community_staff)
# partners get the partner view (`PartnerRequestRead`), everyone else the full one
RequestView = RequestRead | PartnerRequestRead
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Retry safely: a repeat replays the first response byte for byte"),
]


@router.post(
    "",
    status_code=201,
    response_model=RequestCreated,
    summary="Submit a service request",
    dependencies=[allow(*REQUESTERS)],
    responses=problem_responses(409, 422),
)
async def submit_request(
    body: RequestCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """File a request (Idempotency-Key supported); enterprise and community come from the identity."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    created = await submission.submit(uow, identity, body, utcnow())
    headers = {"Location": f"/v1/service-requests/{created.id}", "ETag": f'"v{created.version}"'}
    return await idempotency.complete(created, headers=headers)


@router.get("", summary="List service requests", dependencies=[allow(*PARTICIPANTS)], responses=problem_responses(400))
async def list_requests(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    status: Status | None = None,
    category: Category | None = None,
    scenario: Scenario | None = None,
    type_id: uuid.UUID | None = None,
    community_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    created_from: Annotated[IsoDate | None, Query(description="Shanghai date, inclusive")] = None,
    created_to: Annotated[IsoDate | None, Query(description="Shanghai date, inclusive")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1, max_length=50, description="A fragment of the description (Chinese: one character or more)"
        ),
    ] = None,
    enterprise_id: uuid.UUID | None = None,
    handler: Annotated[str | None, Query(max_length=200, description="The assignee's subject")] = None,
    sort: Annotated[RequestSort, Query(description="Keyset order; the cursor belongs to its sort")] = "-created_at",
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[RequestRead] | Page[PartnerRequestRead]:
    """Newest first (or by `sort`). Requesters see their own (representatives their enterprise's), staff
    their community's, partners what is routed to them (as `PartnerRequestRead`); `q` finds a fragment
    of the description, the other filters combine with it; a date range is at most 366 days."""
    check_date_range(created_from, created_to, "created_to")
    filters = ListFilters(
        status=status,
        category=category.value if category else None,
        scenario=scenario.value if scenario else None,
        type_id=type_id,
        community_id=community_id,
        overdue=overdue,
        created_from=created_from,
        created_to=created_to,
        q=q,
        enterprise_id=enterprise_id,
        handler=handler,
        sort=sort,
    )
    page = await queries.page(uow, identity, filters, utcnow(), cursor=cursor, limit=limit)
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/stats",
    summary="Request statistics of a community",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(400, 422),
)
async def request_stats(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    from_date: Annotated[dt.date, Query(alias="from", description="First Shanghai date, inclusive")],
    to_date: Annotated[IsoDate, Query(alias="to", description="Last Shanghai date, inclusive")],
) -> RequestStats:
    """Counts by status and category, on-time rates, median hours to resolve, satisfaction (SQL)."""
    check_date_range(from_date, to_date, "to")
    return await queries.stats(uow, identity, community_id, from_date, to_date)


@router.get(
    "/{request_id}",
    summary="Get a service request",
    dependencies=[allow(*PARTICIPANTS)],
    responses=problem_responses(404),
)
async def get_request(
    request_id: uuid.UUID, response: Response, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> RequestView:
    """One request with its `ETag` and the caller's allowed next actions (partners: the partner view)."""
    view = await queries.get(uow, identity, request_id, utcnow())
    set_etag(response, view.version)
    return view


@router.post(
    "/{request_id}/transitions",
    summary="Move a request through its workflow",
    response_model=RequestView,
    dependencies=[allow(*PARTICIPANTS)],
    responses=problem_responses(404, 409, 412, 422, 428),
)
async def transition_request(
    request_id: uuid.UUID,
    body: TransitionCreate,
    expected: IfMatch,
    request: Request,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Take one action of the transition table (If-Match required, Idempotency-Key supported); 409 lists
    the actions allowed now."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    view = await transitions.transition(uow, identity, request_id, expected, body, utcnow())
    return await idempotency.complete(view, status_code=200, headers={"ETag": f'"v{view.version}"'})


@router.post(
    "/{request_id}/rating",
    summary="Rate a resolved request",
    dependencies=[allow(*REQUESTERS)],
    responses=problem_responses(404, 409, 422),
)
async def rate_request(
    request_id: uuid.UUID,
    body: RatingCreate,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> RequestRead:
    """1-5 (5 非常满意 … 1 非常不满意); 1 or 2 reopens for rectification; the rating after that is final."""
    read = await ratings.rate(uow, identity, request_id, body, utcnow())
    set_etag(response, read.version)
    return read


@router.post(
    "/{request_id}/return-visits",
    summary="Record the return visit (回访) owed after a bad rating",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def record_return_visit(
    request_id: uuid.UUID,
    body: ReturnVisitCreate,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> RequestRead:
    """Due within 1 working day of the bad rating; a late one is escalated and still recorded."""
    read = await ratings.return_visit(uow, identity, request_id, body, utcnow())
    set_etag(response, read.version)
    return read


@router.post(
    "/{request_id}/comments",
    status_code=201,
    summary="Comment on a request",
    response_model=TimelineEntry,
    dependencies=[allow(*PARTICIPANTS)],
    responses=problem_responses(404, 412, 422, 428),
)
async def add_comment(
    request_id: uuid.UUID,
    body: CommentCreate,
    request: Request,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    if_match: Annotated[
        str | None, Header(description='Required for partners: the request\'s current `ETag`, e.g. `"v3"`')
    ] = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """A public comment, or an internal note for community staff (Idempotency-Key supported; partners
    must send If-Match)."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    entry = await transitions.comment(uow, identity, request_id, body, utcnow(), if_match=if_match)
    return await idempotency.complete(entry)


@router.get(
    "/{request_id}/timeline",
    summary="The request's timeline",
    dependencies=[allow(*PARTICIPANTS)],
    responses=problem_responses(404),
)
async def get_timeline(request_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> Timeline:
    """Transitions (the history), comments, escalations and ratings, oldest first (partners: redacted)."""
    return await transitions.timeline(uow, identity, request_id)
