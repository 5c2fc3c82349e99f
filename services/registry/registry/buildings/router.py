"""HTTP routes of the buildings domain."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from registry.buildings import service
from registry.buildings.schemas import (
    BatchTransferCreate,
    BatchTransferOut,
    BuildingCreate,
    BuildingOut,
    BuildingUpdate,
    Jurisdiction,
    TransferCreate,
    TransferOut,
)
from registry.common import READERS, WRITERS
from registry.database import platform_tables
from shared.auth import CurrentIdentity, allow
from shared.concurrency import IfMatch, set_etag
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/buildings", tags=["buildings"])


@router.post(
    "",
    status_code=201,
    summary="Register a building in a community",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(404, 409, 422),
)
async def create_building(
    body: BuildingCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Create a building that belongs to `community_id` from `valid_from`; accepts `Idempotency-Key`."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    created = await service.create(uow, identity, body)
    headers = {"Location": f"/v1/buildings/{created.id}", "ETag": f'"v{created.version}"'}
    return await idempotency.complete(created, headers=headers)


@router.post(
    "/transfers",
    status_code=201,
    summary="Transfer several buildings at once",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(404, 409, 422),
)
async def transfer_buildings(
    body: BatchTransferCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Move every listed building to `to_community_id` from `effective_on`, atomically; accepts `Idempotency-Key`."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    transfers = await service.transfer_many(uow, identity, body)
    return await idempotency.complete(BatchTransferOut(items=transfers))


@router.get(
    "/{building_id}", summary="Get a building", dependencies=[allow(*READERS)], responses=problem_responses(404)
)
async def get_building(building_id: uuid.UUID, response: Response, uow: UnitOfWorkDep) -> BuildingOut:
    """One building with the community it belongs to today."""
    building = await service.get(uow, building_id)
    set_etag(response, building.version)
    return building


@router.patch(
    "/{building_id}",
    summary="Update a building",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(404, 412, 422, 428),
)
async def update_building(
    building_id: uuid.UUID,
    body: BuildingUpdate,
    expected_version: IfMatch,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> BuildingOut:
    """Change the fields sent (`If-Match` required); staff of its community today, or admins."""
    building = await service.update(uow, identity, building_id, expected_version, body)
    set_etag(response, building.version)
    return building


@router.get(
    "/{building_id}/jurisdiction",
    summary="Jurisdiction history of a building",
    dependencies=[allow(*READERS)],
    responses=problem_responses(404),
)
async def building_jurisdiction(building_id: uuid.UUID, uow: UnitOfWorkDep) -> Jurisdiction:
    """Every period `[valid_from, valid_to)` and the community it belonged to, oldest first."""
    return await service.jurisdiction(uow, building_id)


@router.post(
    "/{building_id}/transfers",
    status_code=201,
    summary="Transfer a building to another community",
    dependencies=[allow(*WRITERS)],
    responses=problem_responses(404, 409, 422),
)
async def transfer_building(
    building_id: uuid.UUID, body: TransferCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Close the open period the day before `effective_on` and open one in the new community."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    transfer: TransferOut = await service.transfer(uow, identity, building_id, body)
    return await idempotency.complete(transfer)
