"""The residents' routes: under `/v1/grid-events`, `/v1/hazards`, `/v1/inspections` and `/v1/grids`,
mounted before those routers (their `/{id}` paths would otherwise take `mine`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from grid.database import platform_tables
from grid.events.schemas import EventRead
from grid.hazards.schemas import HazardDetail, HazardRead
from grid.inspections.schemas import InspectionRead
from grid.registry.dependencies import RegistryDep
from grid.residents import service
from grid.residents.schemas import BuildingGridWorkers, BuildingReport, HazardReply
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import set_etag
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.pagination import Cursor, Limit, Page, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(tags=["residents"])

RESIDENTS = (Role.employee, Role.enterprise_rep)


@router.post(
    "/v1/grid-events/building-reports",
    status_code=201,
    summary="Report a grid event from my building",
    dependencies=[allow(*RESIDENTS)],
    responses=problem_responses(403, 422, 503),
)
async def report_from_building(
    body: BuildingReport, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity, registry: RegistryDep
) -> Response:
    """The event gets the grid of the building (of that floor) today, so its grid worker can act;
    403 `NOT_YOUR_BUILDING` unless the caller's enterprise has a site there; `Idempotency-Key` accepted."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    event = await service.report_from_building(uow, registry, identity, body)
    return await idempotency.complete(event, headers={"Location": f"/v1/grid-events/{event.id}"})


@router.get(
    "/v1/grid-events/mine",
    summary="My grid events",
    dependencies=[allow(*RESIDENTS)],
    responses=problem_responses(400),
)
async def my_events(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[EventRead]:
    """Newest first: an employee's own reports; a representative's and every event naming their enterprise."""
    page = await service.my_events(uow, identity, cursor, limit)
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/v1/hazards/mine",
    summary="My enterprise's hazards",
    dependencies=[allow(Role.enterprise_rep)],
    responses=problem_responses(400, 403),
)
async def my_hazards(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[HazardRead]:
    """Newest first: the hazards of the ledger that name the representative's enterprise."""
    page = await service.my_hazards(uow, identity, cursor, limit)
    link_next(request, response, page.next_cursor)
    return page


@router.post(
    "/v1/hazards/{hazard_id}/replies",
    summary="Answer a hazard's rectification request",
    dependencies=[allow(Role.enterprise_rep)],
    responses=problem_responses(403, 404, 409),
)
async def reply_to_hazard(
    hazard_id: uuid.UUID, body: HazardReply, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> HazardDetail:
    """The representative of the hazard's enterprise answers while it is `rectifying` (else 409
    `NO_RECTIFICATION_REQUESTED`); `rectified: true` moves it to `rectified` for staff to verify."""
    hazard = await service.reply_to_hazard(uow, identity, hazard_id, body)
    set_etag(response, hazard.version)
    return hazard


@router.get(
    "/v1/inspections/mine",
    summary="My enterprise's inspections",
    dependencies=[allow(Role.enterprise_rep)],
    responses=problem_responses(400, 403),
)
async def my_inspections(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[InspectionRead]:
    """Latest visit first: the patrol visits recorded against the representative's enterprise."""
    page = await service.my_inspections(uow, identity, cursor, limit)
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/v1/grids/buildings/{building_id}/grid-worker",
    summary="My building's grid worker",
    dependencies=[allow(*RESIDENTS)],
    responses=problem_responses(403, 503),
)
async def building_grid_worker(
    building_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, registry: RegistryDep
) -> BuildingGridWorkers:
    """The building's grids today with each primary worker's name, masked phone and duty hours;
    only for employees and representatives of an enterprise with a site there (else 403 `NOT_YOUR_BUILDING`)."""
    return await service.building_workers(uow, registry, identity, building_id)
