"""`/v1/facilities` and `/v1/circles`: service facilities and N-minute circle coverage."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from grid.circles import service
from grid.circles.schemas import (
    CircleRead,
    CircleUpdate,
    CoverageReport,
    FacilityCreate,
    FacilityKind,
    FacilityRead,
    FacilityUpdate,
)
from grid.database import platform_tables
from grid.registry.dependencies import RegistryDep
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, set_etag
from shared.dates import business_today
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.iso import IsoDate
from shared.pagination import Cursor, Limit, Page, decode_keyset, encode_cursor, link_next
from shared.uow import UnitOfWorkDep

facilities_router = APIRouter(prefix="/v1/facilities", tags=["facilities"])
circles_router = APIRouter(prefix="/v1/circles", tags=["circles"])

STAFF = (Role.platform_admin, Role.community_staff)
FIELD = (*STAFF, Role.grid_worker)
READERS = (*FIELD, Role.enterprise_rep, Role.employee)


@facilities_router.post(
    "", status_code=201, summary="Register a facility", dependencies=[allow(*STAFF)], responses=problem_responses(422)
)
async def create_facility(
    body: FacilityCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """A life, medical, fitness or reading facility at a WGS-84 point."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    facility = await service.create_facility(uow, identity, body)
    headers = {"Location": f"/v1/facilities/{facility.id}", "ETag": f'"v{facility.version}"'}
    return await idempotency.complete(facility, headers=headers)


@facilities_router.get("", summary="A community's facilities", dependencies=[allow(*READERS)])
async def list_facilities(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    community_id: uuid.UUID,
    kind: FacilityKind | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[FacilityRead]:
    """Ordered by name."""
    after = decode_keyset(cursor, str, uuid.UUID)
    rows = await service.list_facilities(uow, community_id, kind, after, limit + 1)
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor([last.name, last.id]) if last else None
    link_next(request, response, next_cursor)
    return Page(items=rows[:limit], next_cursor=next_cursor)


@facilities_router.get(
    "/{facility_id}", summary="One facility", dependencies=[allow(*READERS)], responses=problem_responses(404)
)
async def get_facility(facility_id: uuid.UUID, uow: UnitOfWorkDep, response: Response) -> FacilityRead:
    """The facility; `ETag` carries its version."""
    facility = await service.get_facility(uow, facility_id)
    set_etag(response, facility.version)
    return facility


@facilities_router.patch(
    "/{facility_id}",
    summary="Change a facility",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 412, 422, 428),
)
async def update_facility(
    facility_id: uuid.UUID,
    body: FacilityUpdate,
    expected: IfMatch,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    response: Response,
) -> FacilityRead:
    """Rename, move or change opening hours; needs `If-Match`."""
    facility = await service.update_facility(uow, identity, facility_id, expected, body)
    set_etag(response, facility.version)
    return facility


@circles_router.get(
    "/coverage",
    summary="Coverage of a community's N-minute circles",
    dependencies=[allow(*FIELD)],
    responses=problem_responses(404, 503),
)
async def coverage(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    registry: RegistryDep,
    community_id: uuid.UUID,
    as_of: IsoDate | None = None,
) -> CoverageReport:
    """Per building the nearest facility of each kind (distance, minutes, inside?), and the share of
    employees inside each circle; the method and parameters are in the answer."""
    return await service.coverage(uow, registry, identity, community_id, as_of or business_today())


@circles_router.get("", summary="A community's four circles", dependencies=[allow(*READERS)])
async def list_circles(uow: UnitOfWorkDep, community_id: uuid.UUID) -> list[CircleRead]:
    """Life 15 min, medical 15, fitness 10, reading 10 at 4.5 km/h with a 1.3 detour factor, unless changed."""
    return await service.circles(uow, community_id)


@circles_router.put(
    "/{kind}", summary="Set one circle's parameters", dependencies=[allow(*STAFF)], responses=problem_responses(422)
)
async def put_circle(
    kind: FacilityKind, body: CircleUpdate, uow: UnitOfWorkDep, identity: CurrentIdentity, community_id: uuid.UUID
) -> list[CircleRead]:
    """Minutes, walking speed and detour factor of one circle of the community."""
    return await service.save_circle(uow, identity, community_id, kind, body)
