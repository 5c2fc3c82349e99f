"""`/v1/service-types`: the per-community service catalogue and the exported workflow."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from service_requests.catalogue import service
from service_requests.catalogue.dependencies import ServiceTypeRepositoryDep
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
from shared.pagination import Cursor, Limit, Page, decode_keyset, encode_cursor, link_next

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
    body: ServiceTypeCreate, response: Response, repository: ServiceTypeRepositoryDep, identity: CurrentIdentity
) -> ServiceTypeRead:
    """Add a service (form, handler, deadline policy) to a community the caller manages."""
    service_type = await service.create(repository, identity, body)
    set_etag(response, service_type.version)
    response.headers["Location"] = f"/v1/service-types/{service_type.id}"
    return service.to_read(service_type)


@router.get("", summary="List service types", dependencies=[allow(*READERS)], responses=problem_responses(400))
async def list_service_types(
    request: Request,
    response: Response,
    repository: ServiceTypeRepositoryDep,
    community_id: uuid.UUID | None = None,
    category: Category | None = None,
    scenario: Scenario | None = None,
    active: bool | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[ServiceTypeRead]:
    """Service types ordered by code, filtered by community, category, scenario and active flag."""
    after = decode_keyset(cursor, str, uuid.UUID)
    rows = await repository.page(
        community_id=community_id,
        category=category.value if category else None,
        scenario=scenario.value if scenario else None,
        active=active,
        after=after,
        limit=limit + 1,
    )
    next_cursor = encode_cursor([rows[limit - 1].code, rows[limit - 1].id]) if len(rows) > limit else None
    link_next(request, response, next_cursor)
    return Page(items=[service.to_read(row) for row in rows[:limit]], next_cursor=next_cursor)


@router.get(
    "/{type_id}", summary="Get a service type", dependencies=[allow(*READERS)], responses=problem_responses(404)
)
async def get_service_type(
    type_id: uuid.UUID, response: Response, repository: ServiceTypeRepositoryDep
) -> ServiceTypeRead:
    """One service type with its current version in `ETag`."""
    service_type = await service.get(repository, type_id)
    set_etag(response, service_type.version)
    return service.to_read(service_type)


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
    repository: ServiceTypeRepositoryDep,
    identity: CurrentIdentity,
) -> ServiceTypeRead:
    """Change a type; requests already submitted keep the version they were filed under."""
    service_type = await service.replace(repository, identity, type_id, expected, body)
    set_etag(response, service_type.version)
    return service.to_read(service_type)


@router.get(
    "/{type_id}/workflow",
    summary="The request workflow (transition table) of a service type",
    dependencies=[allow(*READERS)],
    responses=problem_responses(404),
)
async def get_workflow(type_id: uuid.UUID, repository: ServiceTypeRepositoryDep) -> Workflow:
    """Statuses, actions, who may take them and which need a reason: the single source of truth."""
    await service.get(repository, type_id)
    return service.export_workflow(type_id)
