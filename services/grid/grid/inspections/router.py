"""`/v1/inspections` (checklist templates, visits) and `GET /v1/grids/{id}/stale-buildings`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from grid.database import platform_tables
from grid.grids.dependencies import ValidGrid
from grid.inspections import service
from grid.inspections.schemas import (
    InspectionCreate,
    InspectionDetail,
    InspectionRead,
    StaleBuildings,
    TemplateCreate,
    TemplateRead,
)
from shared.auth import CurrentIdentity, Role, allow
from shared.dates import business_today
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.iso import IsoDate
from shared.pagination import Cursor, Limit, Page, decode_keyset, encode_cursor, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/inspections", tags=["inspections"])
stale_router = APIRouter(prefix="/v1/grids", tags=["inspections"])

STAFF = (Role.platform_admin, Role.community_staff)
FIELD = (Role.platform_admin, Role.community_staff, Role.grid_worker)


@router.post(
    "/templates",
    status_code=201,
    summary="Create a checklist template",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(422),
)
async def create_template(body: TemplateCreate, uow: UnitOfWorkDep, identity: CurrentIdentity) -> TemplateRead:
    """Fire safety, electrical, public health, ...: the questions an inspection answers."""
    return await service.create_template(uow, identity, body)


@router.get("/templates", summary="Checklist templates a community may use", dependencies=[allow(*FIELD)])
async def list_templates(uow: UnitOfWorkDep, community_id: uuid.UUID) -> list[TemplateRead]:
    """The community's own templates and the platform-wide ones."""
    return await service.list_templates(uow, community_id)


@router.post(
    "",
    status_code=201,
    summary="Record an inspection visit",
    dependencies=[allow(*FIELD)],
    responses=problem_responses(404, 422),
)
async def record_inspection(
    body: InspectionCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """A visit to a building of the grid (optionally an enterprise and floor) with answers and findings."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    inspection = await service.record_inspection(uow, identity, body)
    return await idempotency.complete(inspection, headers={"Location": f"/v1/inspections/{inspection.id}"})


@router.get("", summary="Inspections of a grid", dependencies=[allow(*FIELD)], responses=problem_responses(400, 404))
async def list_inspections(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    grid_id: uuid.UUID,
    building_id: uuid.UUID | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[InspectionRead]:
    """Newest visit first."""
    after = decode_keyset(cursor, dt.date.fromisoformat, uuid.UUID)
    rows = await service.list_inspections(uow, identity, grid_id, building_id, after, limit + 1)
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor([last.visited_on.isoformat(), last.id]) if last else None
    link_next(request, response, next_cursor)
    return Page(items=rows[:limit], next_cursor=next_cursor)


@router.get(
    "/{inspection_id}", summary="One inspection", dependencies=[allow(*FIELD)], responses=problem_responses(404)
)
async def get_inspection(inspection_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> InspectionDetail:
    """The visit with its answers, findings, the hazards it raised and its history (files added)."""
    return await service.get_inspection(uow, identity, inspection_id)


@stale_router.get(
    "/{grid_id}/stale-buildings",
    summary="Buildings of a grid overdue for a patrol visit",
    dependencies=[allow(*FIELD)],
    responses=problem_responses(404),
)
async def stale_buildings(
    grid: ValidGrid,
    uow: UnitOfWorkDep,
    as_of: Annotated[IsoDate | None, Query(description="Default: today (Asia/Shanghai)")] = None,
) -> StaleBuildings:
    """Every building must be visited at least every N days (per community); these are overdue."""
    return await service.stale_buildings(uow, grid, as_of or business_today())
