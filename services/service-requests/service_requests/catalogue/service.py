"""Rules of the catalogue: who may change which community's services, versions, the workflow."""

from __future__ import annotations

import uuid

from service_requests.catalogue.exceptions import NotStaffOfCommunity, ServiceTypeNotFound
from service_requests.catalogue.models import ServiceType
from service_requests.catalogue.repository import ServiceTypeRepository
from service_requests.catalogue.schemas import (
    Category,
    Scenario,
    ServiceTypeCreate,
    ServiceTypeFields,
    ServiceTypeRead,
    ServiceTypeUpdate,
    Transition,
    Workflow,
)
from service_requests.requests import workflow
from shared.auth import Identity
from shared.concurrency import check_version
from shared.i18n import Text
from shared.pagination import Page, encode_cursor
from shared.uow import UnitOfWork


def require_staff(identity: Identity, community_id: uuid.UUID) -> None:
    if not identity.staff_of(community_id):
        raise NotStaffOfCommunity(Text("只能管理本社区的服务事项", "You may only manage your own community's services"))


def _apply(service_type: ServiceType, fields: ServiceTypeFields) -> None:
    service_type.name_zh = fields.name_zh
    service_type.name_en = fields.name_en
    service_type.description_zh = fields.description_zh
    service_type.description_en = fields.description_en
    service_type.category = fields.category.value
    service_type.scenario = fields.scenario.value
    service_type.requester_roles = list(fields.requester_roles)
    service_type.form = [attribute.model_dump(mode="json") for attribute in sorted(fields.form, key=lambda a: a.order)]
    service_type.handler_kind = fields.handler.kind.value
    service_type.handler_partner_ids = [str(partner) for partner in fields.handler.partner_ids]
    service_type.handler_share_description = fields.handler.share_description
    service_type.acknowledge_amount = fields.deadlines.acknowledge.amount
    service_type.acknowledge_unit = fields.deadlines.acknowledge.unit.value
    service_type.resolve_amount = fields.deadlines.resolve.amount
    service_type.resolve_unit = fields.deadlines.resolve.unit.value
    service_type.active = fields.active


def to_read(service_type: ServiceType) -> ServiceTypeRead:
    """The API view of a service type."""
    return ServiceTypeRead.model_validate(
        {
            "id": service_type.id,
            "community_id": service_type.community_id,
            "code": service_type.code,
            "version": service_type.version,
            "created_at": service_type.created_at,
            "updated_at": service_type.updated_at,
            "name_zh": service_type.name_zh,
            "name_en": service_type.name_en,
            "description_zh": service_type.description_zh,
            "description_en": service_type.description_en,
            "category": service_type.category,
            "scenario": service_type.scenario,
            "requester_roles": service_type.requester_roles,
            "form": service_type.form,
            "handler": {
                "kind": service_type.handler_kind,
                "partner_ids": service_type.handler_partner_ids,
                "share_description": service_type.handler_share_description,
            },
            "deadlines": {
                "acknowledge": {"amount": service_type.acknowledge_amount, "unit": service_type.acknowledge_unit},
                "resolve": {"amount": service_type.resolve_amount, "unit": service_type.resolve_unit},
            },
            "active": service_type.active,
        }
    )


async def create(uow: UnitOfWork, identity: Identity, body: ServiceTypeCreate) -> ServiceTypeRead:
    """Add a service type to a community the caller manages."""
    require_staff(identity, body.community_id)
    service_type = ServiceType(id=uuid.uuid4(), community_id=body.community_id, code=body.code)
    _apply(service_type, body)
    return to_read(await uow.repository(ServiceTypeRepository).add(service_type))


async def seed_missing(uow: UnitOfWork, identity: Identity, bodies: list[ServiceTypeCreate]) -> int:
    """Create each type whose code its community lacks (an existing code is kept as staff edited it)."""
    repository = uow.repository(ServiceTypeRepository)
    await repository.lock_seeding()
    existing: dict[uuid.UUID, set[str]] = {}
    created = 0
    for body in bodies:
        if body.community_id not in existing:
            existing[body.community_id] = await repository.codes(body.community_id)
        if body.code not in existing[body.community_id]:
            await create(uow, identity, body)
            existing[body.community_id].add(body.code)
            created += 1
    return created


async def _get(uow: UnitOfWork, type_id: uuid.UUID) -> ServiceType:
    service_type = await uow.repository(ServiceTypeRepository).get(type_id)
    if service_type is None:
        raise ServiceTypeNotFound()
    return service_type


async def get(uow: UnitOfWork, type_id: uuid.UUID) -> ServiceTypeRead:
    """A service type, or 404."""
    return to_read(await _get(uow, type_id))


async def list_types(
    uow: UnitOfWork,
    *,
    community_id: uuid.UUID | None,
    category: Category | None,
    scenario: Scenario | None,
    active: bool | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> Page[ServiceTypeRead]:
    """Service types ordered by code, one page after the keyset `after`."""
    rows = await uow.repository(ServiceTypeRepository).page(
        community_id=community_id,
        category=category.value if category else None,
        scenario=scenario.value if scenario else None,
        active=active,
        after=after,
        limit=limit + 1,
    )
    next_cursor = encode_cursor([rows[limit - 1].code, rows[limit - 1].id]) if len(rows) > limit else None
    return Page(items=[to_read(row) for row in rows[:limit]], next_cursor=next_cursor)


async def replace(
    uow: UnitOfWork,
    identity: Identity,
    type_id: uuid.UUID,
    expected_version: int,
    body: ServiceTypeUpdate,
) -> ServiceTypeRead:
    """Replace a type's definition; submitted requests keep the snapshot they were filed with."""
    service_type = await uow.repository(ServiceTypeRepository).get(type_id, for_update=True)
    if service_type is None:
        raise ServiceTypeNotFound()
    require_staff(identity, service_type.community_id)
    check_version(expected_version, service_type.version)
    _apply(service_type, body)
    await uow.flush()
    return to_read(service_type)


async def workflow_of(uow: UnitOfWork, type_id: uuid.UUID) -> Workflow:
    """The workflow of an existing service type, or 404."""
    await _get(uow, type_id)
    return export_workflow(type_id)


def export_workflow(type_id: uuid.UUID) -> Workflow:
    """The transition table as data."""
    return Workflow(
        service_type_id=type_id,
        statuses=[status.value for status in workflow.Status],
        initial=workflow.INITIAL.value,
        terminal=sorted(status.value for status in workflow.TERMINAL),
        pauses_clock=sorted(status.value for status in workflow.PAUSES_CLOCK),
        transitions=[
            Transition(
                action=row.action.value,
                from_statuses=sorted(status.value for status in row.sources),
                to=row.target.value,
                roles=sorted(actor.value for actor in row.actors),
                needs_reason=row.needs_reason,
            )
            for row in workflow.TRANSITIONS
        ],
    )
