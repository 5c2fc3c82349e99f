"""`/v1/grid-workers` and the duties of workers in grids (`/v1/grids/{id}/duties`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from grid.database import platform_tables
from grid.grids.dependencies import ValidGrid
from grid.workers import service
from grid.workers.schemas import DutyCreate, DutyEnd, DutyRead, WorkerCreate, WorkerRead
from shared.auth import CurrentIdentity, Role, allow
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.iso import IsoDate
from shared.pagination import Cursor, Limit, Page, decode_keyset, encode_cursor, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/grid-workers", tags=["grid workers"])
duties_router = APIRouter(prefix="/v1/grids", tags=["grid workers"])

STAFF = (Role.platform_admin, Role.community_staff)
STAFF_AND_WORKERS = (Role.platform_admin, Role.community_staff, Role.grid_worker)


@router.post(
    "",
    status_code=201,
    summary="Register a grid worker",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(409, 422),
)
async def create_worker(
    body: WorkerCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """A full- or part-time grid worker of a community, optionally linked to their platform account."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    worker = await service.create_worker(uow, identity, body)
    return await idempotency.complete(worker, headers={"Location": f"/v1/grid-workers/{worker.id}"})


@router.get("", summary="A community's grid workers", dependencies=[allow(*STAFF)], responses=problem_responses(400))
async def list_workers(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[WorkerRead]:
    """Workers ordered by name."""
    after = decode_keyset(cursor, str, uuid.UUID)
    workers = await service.list_workers(uow, identity, community_id, after, limit + 1)
    next_cursor = encode_cursor([workers[limit - 1].name, workers[limit - 1].id]) if len(workers) > limit else None
    link_next(request, response, next_cursor)
    return Page(items=workers[:limit], next_cursor=next_cursor)


@router.get(
    "/{worker_id}",
    summary="One grid worker",
    dependencies=[allow(*STAFF_AND_WORKERS)],
    responses=problem_responses(404),
)
async def get_worker(worker_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> WorkerRead:
    """Staff of the community, or the worker themself (without the phone number)."""
    return await service.get_worker(uow, identity, worker_id)


@router.get(
    "/{worker_id}/duties",
    summary="A worker's duty history",
    dependencies=[allow(*STAFF_AND_WORKERS)],
    responses=problem_responses(404),
)
async def worker_duties(worker_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> list[DutyRead]:
    """Every grid the worker has been on duty in, with dates and role."""
    return await service.worker_duties(uow, identity, worker_id)


@duties_router.post(
    "/{grid_id}/duties",
    status_code=201,
    summary="Put a worker on duty in a grid",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 409, 422),
)
async def add_duty(body: DutyCreate, grid: ValidGrid, uow: UnitOfWorkDep, identity: CurrentIdentity) -> DutyRead:
    """One primary worker per grid on any day (一格一员), any number of deputies."""
    return await service.add_duty(uow, identity, grid, body)


@duties_router.get(
    "/{grid_id}/duties",
    summary="Who is (or was) on duty in a grid",
    dependencies=[allow(*STAFF_AND_WORKERS)],
    responses=problem_responses(404),
)
async def grid_duties(
    grid: ValidGrid,
    uow: UnitOfWorkDep,
    as_of: Annotated[IsoDate | None, Query(description="Only duties in force that day; omit for the history")] = None,
) -> list[DutyRead]:
    """The grid's duty roster."""
    return await service.grid_duties(uow, grid, as_of)


@duties_router.post(
    "/{grid_id}/duties/{duty_id}/end",
    summary="End a duty on a date",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 422),
)
async def end_duty(
    body: DutyEnd, grid: ValidGrid, duty_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> DutyRead:
    """From `ended_on` the worker is no longer on duty in the grid."""
    return await service.end_duty(uow, identity, grid, duty_id, body)
