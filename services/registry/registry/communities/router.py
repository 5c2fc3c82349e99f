"""HTTP routes of the communities domain, and the internal roll and headcounts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from registry.buildings.schemas import BuildingOut
from registry.common import READERS, WRITERS, page_cursor, text_id_cursor
from registry.communities import service
from registry.communities.dependencies import AsOf
from registry.communities.schemas import (
    MAX_RANGE_DAYS,
    BuildingCounts,
    CommunityCreate,
    CommunityOut,
    CommunityStats,
    CommunityType,
    CommunityUpdate,
    Headcounts,
    Roll,
)
from registry.database import platform_tables
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, set_etag
from shared.errors import problem_responses
from shared.exports import ExportFormat, export_response, export_responses
from shared.idempotency import Idempotency
from shared.iso import IsoDate
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/communities", tags=["communities"])
internal_router = APIRouter(prefix="/internal/communities", tags=["internal"])


@router.get("", summary="List communities", dependencies=[allow(*READERS)], responses=problem_responses(400, 422))
async def list_communities(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    type: Annotated[CommunityType | None, Query(description="Community type")] = None,
    street: Annotated[str | None, Query(max_length=100, examples=["长河街道"])] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[CommunityOut]:
    """Communities ordered by code, optionally of one type or street."""
    rows = await service.listing(uow, type_=type, street=street, limit=limit + 1, after=text_id_cursor(cursor))
    items = rows[:limit]
    next_cursor = page_cursor(len(rows) > limit, (items[-1].code, items[-1].id) if items else None)
    link_next(request, response, next_cursor)
    return Page[CommunityOut](items=items, next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    summary="Register a community",
    dependencies=[allow(Role.platform_admin)],
    responses=problem_responses(409, 422),
)
async def create_community(
    body: CommunityCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Create a community (platform admins); accepts `Idempotency-Key`."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    created = await service.create(uow, body)
    headers = {"Location": f"/v1/communities/{created.id}", "ETag": f'"v{created.version}"'}
    return await idempotency.complete(created, headers=headers)


@router.get(
    "/{community_id}",
    summary="Get a community",
    dependencies=[allow(*READERS)],
    responses=problem_responses(404),
)
async def get_community(community_id: uuid.UUID, uow: UnitOfWorkDep, response: Response) -> CommunityOut:
    """One community with its governance bodies."""
    community = await service.read(uow, community_id)
    set_etag(response, community.version)
    return community


@router.patch(
    "/{community_id}",
    summary="Update a community",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(404, 412, 422, 428),
)
async def update_community(
    community_id: uuid.UUID,
    body: CommunityUpdate,
    expected_version: IfMatch,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> CommunityOut:
    """Change the fields sent (`If-Match` required); the community's staff or admins."""
    community = await service.update(uow, identity, community_id, expected_version, body)
    set_etag(response, community.version)
    return community


@router.delete(
    "/{community_id}",
    status_code=204,
    summary="Delete a community entered by mistake",
    dependencies=[allow(Role.platform_admin)],
    responses=problem_responses(404, 409),
)
async def delete_community(community_id: uuid.UUID, uow: UnitOfWorkDep) -> Response:
    """Only a community that never had a building can be deleted."""
    await service.delete(uow, community_id)
    return Response(status_code=204)


@router.get(
    "/{community_id}/buildings",
    summary="Buildings of a community on a date",
    dependencies=[allow(*READERS)],
    responses=problem_responses(400, 404, 422),
)
async def community_buildings(
    community_id: uuid.UUID,
    as_of: AsOf,
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[BuildingOut]:
    """Every building that belonged to the community on `as_of` (default today), by name."""
    rows = await service.buildings(uow, community_id, as_of, limit + 1, text_id_cursor(cursor))
    items = rows[:limit]
    next_cursor = page_cursor(len(rows) > limit, (items[-1].name, items[-1].id) if items else None)
    link_next(request, response, next_cursor)
    return Page[BuildingOut](items=items, next_cursor=next_cursor)


@router.get(
    "/{community_id}/stats",
    summary="Community statistics on a date",
    dependencies=[allow(*READERS)],
    responses=problem_responses(404, 422),
)
async def community_stats(community_id: uuid.UUID, as_of: AsOf, uow: UnitOfWorkDep) -> CommunityStats:
    """Buildings by kind, active enterprises, employees, average age, enterprises by industry section."""
    return await service.stats(uow, community_id, as_of)


@router.get(
    "/{community_id}/stats/export",
    summary="Export a community's statistics on a date",
    dependencies=[allow(Role.platform_admin, Role.community_staff)],
    response_class=StreamingResponse,
    responses=export_responses("One row per figure: metric, breakdown, value (talent totals included)")
    | problem_responses(403, 404, 422),
)
async def export_community_stats(
    community_id: uuid.UUID,
    as_of: AsOf,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    export_format: Annotated[ExportFormat, Query(alias="format", description="`csv` (UTF-8 with BOM) or `xlsx`")],
) -> StreamingResponse:
    """The figures of `GET /v1/communities/{id}/stats` on `as_of` (default today) as a table, with the
    graduates and high-level talents; the community's staff and admins, other staff 403."""
    return export_response(await service.stats_export(uow, identity, community_id, as_of), export_format)


@internal_router.get(
    "/{community_id}/roll",
    summary="Enterprise roll of a community on a date (other services)",
    dependencies=[allow(Role.service, Role.platform_admin)],
    responses=problem_responses(404, 422),
)
async def community_roll(community_id: uuid.UUID, as_of: AsOf, uow: UnitOfWorkDep) -> Roll:
    """Active enterprises with a site in the community on `as_of`, one per USCC, ordered by USCC."""
    return await service.roll(uow, community_id, as_of)


@internal_router.get(
    "/{community_id}/headcounts",
    summary="Enterprises and employees per building on a date (other services)",
    dependencies=[allow(Role.service, Role.platform_admin)],
    responses=problem_responses(404, 422),
)
async def community_headcounts(community_id: uuid.UUID, as_of: AsOf, uow: UnitOfWorkDep) -> Headcounts:
    """Per building of the community on `as_of`: active enterprises there and their latest employees."""
    return await service.headcounts(uow, community_id, as_of)


@internal_router.get(
    "/{community_id}/building-counts",
    summary="Buildings of a community on each day of a range (other services)",
    dependencies=[allow(Role.service, Role.platform_admin)],
    responses=problem_responses(400, 404, 422),
)
async def community_building_counts(
    community_id: uuid.UUID,
    uow: UnitOfWorkDep,
    starts_on: Annotated[IsoDate, Query(description="First day (Asia/Shanghai)")],
    ends_on: Annotated[IsoDate, Query(description=f"Last day; at most {MAX_RANGE_DAYS} days in all")],
) -> BuildingCounts:
    """How many buildings belonged to the community on each day, in one query (a campaign summary)."""
    return await service.building_counts(uow, community_id, starts_on, ends_on)
