"""`/v1/grids`: grids, micro-grids, retirement, building assignments and community patrol settings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from grid.database import platform_tables
from grid.grids import service
from grid.grids.dependencies import ValidGrid
from grid.grids.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentRead,
    CommunitySettings,
    CommunitySettingsUpdate,
    GridCreate,
    GridRead,
    GridReference,
    GridRetirement,
    GridUpdate,
    UnassignedBuildings,
)
from grid.registry.dependencies import RegistryDep
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, set_etag
from shared.dates import business_today
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.iso import IsoDate
from shared.pagination import Cursor, Limit, Page, decode_cursor, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/grids", tags=["grids"])
internal_router = APIRouter(prefix="/internal/grids", tags=["internal"])

STAFF = (Role.platform_admin, Role.community_staff)
STAFF_AND_WORKERS = (Role.platform_admin, Role.community_staff, Role.grid_worker)


@router.post(
    "",
    status_code=201,
    summary="Create a grid or micro-grid",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 409, 422, 503),
)
async def create_grid(
    body: GridCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity, registry: RegistryDep
) -> Response:
    """Create a grid; its code (community code + sequence, micro-grids add a suffix) is never reused."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    grid = await service.create_grid(uow, registry, identity, body)
    headers = {"Location": f"/v1/grids/{grid.id}", "ETag": f'"v{grid.version}"'}
    return await idempotency.complete(grid, headers=headers)


@router.get(
    "",
    summary="List a community's grids",
    dependencies=[allow(*STAFF_AND_WORKERS)],
    responses=problem_responses(400),
)
async def list_grids(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    include_retired: bool = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[GridRead]:
    """Grids ordered by code; grid workers see only their own grids and their micro-grids."""
    after = decode_cursor(cursor, 1)[0] if cursor else None
    page = await service.list_grids(
        uow, identity, community_id, include_retired=include_retired, after_code=after, limit=limit
    )
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/unassigned-buildings",
    summary="Buildings of a community that no grid covers",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 503),
)
async def unassigned_buildings(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    registry: RegistryDep,
    community_id: uuid.UUID,
    as_of: IsoDate | None = None,
) -> UnassignedBuildings:
    """Buildings the registry places in the community on `as_of` (default today) without any assignment."""
    return await service.unassigned_buildings(uow, registry, identity, community_id, as_of or business_today())


@router.get(
    "/communities/{community_id}/settings",
    summary="A community's grid settings (patrol interval)",
    dependencies=[allow(*STAFF_AND_WORKERS)],
)
async def get_settings(uow: UnitOfWorkDep, identity: CurrentIdentity, community_id: uuid.UUID) -> CommunitySettings:
    """How often every building must be inspected; grid workers read it for the communities of their grids."""
    return await service.read_settings(uow, identity, community_id)


@router.put(
    "/communities/{community_id}/settings",
    summary="Set a community's patrol interval",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 422, 503),
)
async def put_settings(
    body: CommunitySettingsUpdate,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    registry: RegistryDep,
    community_id: uuid.UUID,
) -> CommunitySettings:
    """Every building of the community must be inspected at least every `patrol_interval_days`."""
    return await service.save_patrol_interval(uow, registry, identity, community_id, body.patrol_interval_days)


@router.get(
    "/{grid_id}",
    summary="One grid",
    dependencies=[allow(*STAFF_AND_WORKERS)],
    responses=problem_responses(404),
)
async def get_grid(grid_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response) -> GridRead:
    """The grid with its successors (when retired); `ETag` carries its version."""
    grid = await service.get_grid(uow, identity, grid_id)
    set_etag(response, grid.version)
    return grid


@router.patch(
    "/{grid_id}",
    summary="Rename a grid or change its kind",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 412, 422, 428),
)
async def update_grid(
    body: GridUpdate,
    grid_id: uuid.UUID,
    expected: IfMatch,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    response: Response,
) -> GridRead:
    """Change name or kind; needs `If-Match`. The code never changes."""
    grid = await service.update_grid(uow, identity, grid_id, expected, body)
    set_etag(response, grid.version)
    return grid


@router.post(
    "/{grid_id}/retirement",
    summary="Retire a grid, naming its successors",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 409, 422),
)
async def retire_grid(
    body: GridRetirement, grid_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> GridRead:
    """From `retired_on` the grid no longer exists, its assignments end, and its successors are recorded."""
    return await service.retire_grid(uow, identity, grid_id, body)


@router.post(
    "/{grid_id}/assignments",
    status_code=201,
    summary="Assign a building or a floor range to the grid",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 409, 422, 503),
)
async def assign_building(
    body: AssignmentCreate,
    grid: ValidGrid,
    request: Request,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    registry: RegistryDep,
) -> Response:
    """Dated assignment; overlapping floors of the same building in overlapping periods → 409."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    assignment = await service.assign_building(uow, registry, identity, grid, body)
    return await idempotency.complete(assignment)


@router.get(
    "/{grid_id}/assignments",
    summary="The grid's building assignments",
    dependencies=[allow(*STAFF_AND_WORKERS)],
    responses=problem_responses(404),
)
async def list_assignments(
    grid: ValidGrid,
    uow: UnitOfWorkDep,
    as_of: Annotated[IsoDate | None, Query(description="Only those in force that day; omit for the history")] = None,
) -> list[AssignmentRead]:
    """Every assignment of the grid, or only those in force on `as_of`."""
    return await service.list_assignments(uow, grid, as_of)


@router.post(
    "/{grid_id}/assignments/{assignment_id}/end",
    summary="End an assignment on a date",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 422),
)
async def end_assignment(
    body: AssignmentEnd, grid: ValidGrid, assignment_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> AssignmentRead:
    """From `ended_on` the building (or floors) no longer belongs to the grid."""
    return await service.end_assignment(uow, identity, grid, assignment_id, body)


@internal_router.get(
    "/{grid_id}",
    summary="A grid's community (platform services)",
    dependencies=[allow(Role.service)],
    responses=problem_responses(404),
)
async def grid_reference(
    grid_id: uuid.UUID,
    uow: UnitOfWorkDep,
    user_subject: Annotated[str | None, Query(min_length=1, max_length=200, description="An account id")] = None,
) -> GridReference:
    """The identity service asks which community a grid is in, and whether an account's worker is on
    duty there, before a `grid_worker` grant."""
    return await service.grid_reference(uow, grid_id, user_subject)
