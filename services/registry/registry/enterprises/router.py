"""HTTP routes of the enterprises domain."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from registry.common import READERS, WRITERS, page_cursor, text_id_cursor
from registry.database import platform_tables
from registry.enterprises import imports, service
from registry.enterprises.schemas import (
    SECTION,
    EnterpriseCreate,
    EnterpriseOut,
    EnterpriseSummary,
    EnterpriseUpdate,
    HeadcountIn,
    HeadcountList,
    HeadcountOut,
    OccupancyEnd,
    OccupancyList,
    OccupancyOut,
    RepresentativeBinding,
    RepresentativeBound,
    RepresentativeIn,
    RepresentativeRecords,
    SiteIn,
    Status,
    StatusChangeCreate,
    StatusHistory,
)
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, set_etag
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])
internal_router = APIRouter(prefix="/internal/enterprises", tags=["internal"])
REP_WRITERS = (*WRITERS, Role.enterprise_rep)


@router.get("", summary="Search enterprises", dependencies=[allow(*READERS)], responses=problem_responses(400, 422))
async def search_enterprises(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    q: Annotated[str | None, Query(min_length=1, max_length=50, description="Name fragment, e.g. `科技`")] = None,
    uscc: Annotated[str | None, Query(min_length=18, max_length=18)] = None,
    industry_section: Annotated[str | None, Query(pattern=SECTION)] = None,
    industry_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,4}$")] = None,
    status: Annotated[Status | None, Query()] = None,
    building_id: Annotated[uuid.UUID | None, Query(description="Has a site there today")] = None,
    community_id: Annotated[uuid.UUID | None, Query(description="Has a site there today")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[EnterpriseSummary]:
    """Enterprises by name then id (keyset pages, stable while others are added)."""
    rows = await service.search(
        uow,
        name_fragment=q,
        uscc=uscc.upper() if uscc else None,
        industry_section=industry_section,
        industry_code=industry_code,
        status=status,
        building_id=building_id,
        community_id=community_id,
        limit=limit + 1,
        after=text_id_cursor(cursor),
    )
    items = rows[:limit]
    next_cursor = page_cursor(len(rows) > limit, (items[-1].name, items[-1].id) if items else None)
    link_next(request, response, next_cursor)
    return Page[EnterpriseSummary](items=items, next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    summary="Register an enterprise",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(404, 409, 422),
)
async def create_enterprise(
    body: EnterpriseCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Register an enterprise by USCC; community staff must give its first site. Accepts `Idempotency-Key`."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    created = await service.create(uow, identity, body)
    headers = {"Location": f"/v1/enterprises/{created.id}", "ETag": f'"v{created.version}"'}
    return await idempotency.complete(created, headers=headers)


@router.post(
    "/imports",
    status_code=201,
    summary="Import enterprises from CSV (all or nothing)",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": imports.EXAMPLE}},
        }
    },
)
async def import_enterprises(request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity) -> Response:
    """Validate every row; import all, or answer 422 listing every bad row (row, field, reason)."""
    content = (await request.body()).decode("utf-8-sig", errors="replace")
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(content)) is not None:
        return replay
    result = await imports.import_csv(uow, identity, content)
    return await idempotency.complete(result)


@router.get(
    "/{enterprise_id}",
    summary="Get an enterprise",
    dependencies=[allow(*READERS)],
    responses=problem_responses(404),
)
async def get_enterprise(
    enterprise_id: uuid.UUID, response: Response, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> EnterpriseOut:
    """One enterprise; phone numbers and document references only for its community's staff and admins."""
    enterprise = await service.get(uow, identity, enterprise_id)
    set_etag(response, enterprise.version)
    return enterprise


@router.patch(
    "/{enterprise_id}",
    summary="Update an enterprise",
    dependencies=[allow(*REP_WRITERS)],
    responses=problem_responses(404, 412, 422, 428),
)
async def update_enterprise(
    enterprise_id: uuid.UUID,
    body: EnterpriseUpdate,
    expected_version: IfMatch,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> EnterpriseOut:
    """Change the fields sent (`If-Match`); its own representative may change only the contact."""
    enterprise = await service.update(uow, identity, enterprise_id, expected_version, body)
    set_etag(response, enterprise.version)
    return enterprise


@router.put(
    "/{enterprise_id}/representative",
    summary="Set the authorised representative",
    dependencies=[allow(*REP_WRITERS)],
    responses=problem_responses(404, 412, 422, 428),
)
async def set_representative(
    enterprise_id: uuid.UUID,
    body: RepresentativeIn,
    expected_version: IfMatch,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> EnterpriseOut:
    """Replace the representative (`If-Match` with the enterprise's ETag)."""
    enterprise = await service.set_representative(uow, identity, enterprise_id, expected_version, body)
    set_etag(response, enterprise.version)
    return enterprise


@router.post(
    "/{enterprise_id}/status-changes",
    status_code=201,
    summary="Change an enterprise's status from a date",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(404, 409, 422),
)
async def change_status(
    enterprise_id: uuid.UUID, body: StatusChangeCreate, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> StatusHistory:
    """`active`, `moved_out` or `deregistered` from `effective_on`; returns the whole history."""
    return await service.change_status(uow, identity, enterprise_id, body)


@router.get(
    "/{enterprise_id}/status-history",
    summary="Dated status history",
    dependencies=[allow(*READERS)],
    responses=problem_responses(404),
)
async def status_history(enterprise_id: uuid.UUID, uow: UnitOfWorkDep) -> StatusHistory:
    """Every status period, oldest first."""
    return await service.status_history(uow, enterprise_id)


@router.get(
    "/{enterprise_id}/occupancies",
    summary="Sites of an enterprise",
    dependencies=[allow(*READERS)],
    responses=problem_responses(404),
)
async def list_occupancies(enterprise_id: uuid.UUID, uow: UnitOfWorkDep) -> OccupancyList:
    """Every site, past and present, oldest first."""
    return await service.list_occupancies(uow, enterprise_id)


@router.post(
    "/{enterprise_id}/occupancies",
    status_code=201,
    summary="Add a site",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(404, 422),
)
async def add_occupancy(
    enterprise_id: uuid.UUID, body: SiteIn, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> OccupancyOut:
    """The enterprise occupies a unit from `valid_from`; staff of that building's community."""
    return await service.add_occupancy(uow, identity, enterprise_id, body)


@router.post(
    "/{enterprise_id}/occupancies/{occupancy_id}/end",
    summary="End a site",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(404, 422),
)
async def end_occupancy(
    enterprise_id: uuid.UUID,
    occupancy_id: uuid.UUID,
    body: OccupancyEnd,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> OccupancyOut:
    """The enterprise left the site; `valid_to` is the first day it is no longer there."""
    return await service.end_occupancy(uow, identity, enterprise_id, occupancy_id, body.valid_to)


@router.get(
    "/{enterprise_id}/headcounts",
    summary="Reported headcount figures",
    dependencies=[allow(*READERS)],
    responses=problem_responses(404),
)
async def list_headcounts(enterprise_id: uuid.UUID, uow: UnitOfWorkDep) -> HeadcountList:
    """Every dated figure, newest first."""
    return await service.list_headcounts(uow, enterprise_id)


@router.post(
    "/{enterprise_id}/headcounts",
    status_code=201,
    summary="Report headcount figures for a date",
    dependencies=[allow(*REP_WRITERS)],
    responses=problem_responses(404, 409, 422),
)
async def add_headcount(
    enterprise_id: uuid.UUID, body: HeadcountIn, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> HeadcountOut:
    """Employees, average age and talent counts on `as_of`; its own representative may report them."""
    return await service.add_headcount(uow, identity, enterprise_id, body)


@internal_router.get(
    "/representatives",
    summary="Representative records naming a mobile number (the identity service)",
    dependencies=[allow(Role.service)],
    responses=problem_responses(422),
)
async def representatives_by_phone(
    uow: UnitOfWorkDep, phone: Annotated[str, Query(pattern=r"^\+?[0-9][0-9 -]{5,30}$", description="Any spelling")]
) -> RepresentativeRecords:
    """Matched on the number's last 11 digits, so `139 0000 1111` and `+8613900001111` are one number."""
    return await service.representatives_by_phone(uow, phone)


@internal_router.put(
    "/{enterprise_id}/representative/subject",
    summary="Bind the representative's account (the identity service)",
    dependencies=[allow(Role.service)],
    responses=problem_responses(404, 409, 422),
)
async def bind_representative_subject(
    enterprise_id: uuid.UUID, body: RepresentativeBinding, uow: UnitOfWorkDep
) -> RepresentativeBound:
    """The account that proved the record's phone becomes its `user_subject` (409 when the phone differs)."""
    return await service.bind_representative_subject(uow, enterprise_id, body)
