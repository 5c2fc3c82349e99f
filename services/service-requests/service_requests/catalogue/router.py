"""`/v1/service-types`: the per-community service catalogue and the exported workflow."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from service_requests.catalogue import service
from service_requests.catalogue.schemas import (
    Category,
    Scenario,
    ServiceTypeCreate,
    ServiceTypeRead,
    ServiceTypeUpdate,
    Workflow,
)
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, set_etag
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_keyset, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/service-types", tags=["service-types"])

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
