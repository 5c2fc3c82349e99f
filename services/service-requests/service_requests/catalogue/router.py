"""`/v1/service-types`: the per-community service catalogue and the exported workflow."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from service_requests.catalogue import service
from service_requests.catalogue.schemas import (
    BrandsIn,
    BrandsOut,
    Category,
    Scenario,
    ServiceTypeCreate,
    ServiceTypeRead,
    ServiceTypeUpdate,
    StarterCatalogueIn,
    StarterCatalogueOut,
    Workflow,
)
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, OptionalIfMatch, set_etag
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_keyset, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/service-types", tags=["service-types"])
brands_router = APIRouter(prefix="/v1/service-brands", tags=["service-types"])

MANAGERS = (Role.platform_admin, Role.community_staff)
READERS = (Role.platform_admin, Role.community_staff, Role.enterprise_rep, Role.employee, Role.partner)


@router.post(
    "",
    status_code=201,
    summary="Create a service type",
    dependencies=[allow(*MANAGERS)],
    responses=problem_responses(409, 422),
)
async def create_service_type(
    body: ServiceTypeCreate, response: Response, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> ServiceTypeRead:
    """Add a service (form, handler, deadline policy) to a community the caller manages."""
    service_type = await service.create(uow, identity, body)
    set_etag(response, service_type.version)
    response.headers["Location"] = f"/v1/service-types/{service_type.id}"
    return service_type


@router.post(
    "/starter-catalogue",
    summary="Apply the starter catalogue to a community (idempotent)",
    dependencies=[allow(*MANAGERS)],
    responses=problem_responses(403, 422),
)
async def apply_starter_catalogue(
    body: StarterCatalogueIn, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> StarterCatalogueOut:
    """The specification's seven services with forms, handlers and deadlines; codes it has are kept."""
    return await service.apply_starter(uow, identity, body)


@router.get("", summary="List service types", dependencies=[allow(*READERS)], responses=problem_responses(400))
async def list_service_types(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    community_id: uuid.UUID | None = None,
    category: Category | None = None,
    scenario: Scenario | None = None,
    active: bool | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[ServiceTypeRead]:
    """Service types ordered by code, filtered by community, category, scenario and active flag."""
    after = decode_keyset(cursor, str, uuid.UUID)
    page = await service.list_types(
        uow, community_id=community_id, category=category, scenario=scenario, active=active, after=after, limit=limit
    )
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/{type_id}", summary="Get a service type", dependencies=[allow(*READERS)], responses=problem_responses(404)
)
async def get_service_type(type_id: uuid.UUID, response: Response, uow: UnitOfWorkDep) -> ServiceTypeRead:
    """One service type with its current version in `ETag`."""
    service_type = await service.get(uow, type_id)
    set_etag(response, service_type.version)
    return service_type


@router.put(
    "/{type_id}",
    summary="Replace a service type (new version)",
    dependencies=[allow(*MANAGERS)],
    responses=problem_responses(404, 412, 422, 428),
)
async def replace_service_type(
    type_id: uuid.UUID,
    body: ServiceTypeUpdate,
    expected: IfMatch,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> ServiceTypeRead:
    """Change a type; requests already submitted keep the version they were filed under."""
    service_type = await service.replace(uow, identity, type_id, expected, body)
    set_etag(response, service_type.version)
    return service_type


@router.get(
    "/{type_id}/workflow",
    summary="The request workflow (transition table) of a service type",
    dependencies=[allow(*READERS)],
    responses=problem_responses(404),
)
async def get_workflow(type_id: uuid.UUID, uow: UnitOfWorkDep) -> Workflow:
    """Statuses, actions, who may take them and which need a reason: the single source of truth."""
    return await service.workflow_of(uow, type_id)


@brands_router.get(
    "/{community_id}",
    summary="A community's brand names for the six scenarios",
    dependencies=[allow(*READERS)],
    responses=problem_responses(422),
)
async def get_brands(community_id: uuid.UUID, response: Response, uow: UnitOfWorkDep) -> BrandsOut:
    """Its own names (星领秀 ...), or the platform's defaults (`customised: false`, `ETag: "v0"`)."""
    brands = await service.brands(uow, community_id)
    set_etag(response, brands.version)
    return brands


@brands_router.put(
    "/{community_id}",
    summary="Set or replace a community's brand names",
    dependencies=[allow(*MANAGERS)],
    responses={
        **problem_responses(403, 409, 412, 422),
        201: {"description": "Set for the first time", "model": BrandsOut},
    },
)
async def put_brands(
    community_id: uuid.UUID,
    body: BrandsIn,
    expected_version: OptionalIfMatch,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> BrandsOut:
    """Without If-Match: set the first names (201; 409 once set). With it: replace them (200; 412 when stale)."""
    brands, created = await service.set_brands(uow, identity, community_id, expected_version, body)
    response.status_code = 201 if created else 200
    set_etag(response, brands.version)
    return brands
