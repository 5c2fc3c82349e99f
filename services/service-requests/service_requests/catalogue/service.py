"""Rules of the catalogue: who may change which community's services, versions, the workflow."""

from __future__ import annotations

import uuid
from typing import Any

from service_requests.catalogue.exceptions import BrandsAlreadySet, NotStaffOfCommunity, ServiceTypeNotFound
from service_requests.catalogue.models import CommunityBrands, ServiceType
from service_requests.catalogue.repository import BrandRepository, ServiceTypeRepository
from service_requests.catalogue.schemas import (
    BrandsIn,
    BrandsOut,
    Category,
    Scenario,
    ServiceTypeCreate,
    ServiceTypeFields,
    ServiceTypeRead,
    ServiceTypeUpdate,
    StarterCatalogueIn,
    StarterCatalogueOut,
    Transition,
    Workflow,
)
from service_requests.catalogue.template import DEFAULT_BRANDS, catalogue_for
from service_requests.requests import workflow
from shared.auth import Identity
from shared.concurrency import check_version
from shared.errors import PreconditionFailed
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


def brand_of(names: dict[str, Any] | None, scenario: str) -> dict[str, str]:
    """A scenario's brand in a community: its own name, or the platform's default."""
    if names and scenario in names:
        return dict(names[scenario])
    zh, en = DEFAULT_BRANDS[Scenario(scenario)]
    return {"zh": zh, "en": en}


async def _names(uow: UnitOfWork, community_id: uuid.UUID) -> dict[str, Any] | None:
    return (await uow.repository(BrandRepository).names_of([community_id])).get(community_id)


def to_read(service_type: ServiceType, names: dict[str, Any] | None = None) -> ServiceTypeRead:
    """The API view of a service type, with its community's brand for its scenario."""
    return ServiceTypeRead.model_validate(
        {
            "brand": brand_of(names, service_type.scenario),
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
    created = await uow.repository(ServiceTypeRepository).add(service_type)
    return to_read(created, await _names(uow, created.community_id))


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
    service_type = await _get(uow, type_id)
    return to_read(service_type, await _names(uow, service_type.community_id))


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
    names = await uow.repository(BrandRepository).names_of([row.community_id for row in rows[:limit]])
    return Page(items=[to_read(row, names.get(row.community_id)) for row in rows[:limit]], next_cursor=next_cursor)


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
    return to_read(service_type, await _names(uow, service_type.community_id))


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


def _brands_out(community_id: uuid.UUID, row: CommunityBrands | None) -> BrandsOut:
    names = row.names if row is not None else None
    return BrandsOut.model_validate(
        {
            "community_id": community_id,
            "customised": row is not None,
            "version": row.version if row is not None else 0,
            **{scenario.value: brand_of(names, scenario.value) for scenario in Scenario},
        }
    )


async def brands(uow: UnitOfWork, community_id: uuid.UUID) -> BrandsOut:
    """A community's names for the six scenarios (the defaults while it set none)."""
    return _brands_out(community_id, await uow.repository(BrandRepository).get(community_id))


async def set_brands(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, expected_version: int | None, body: BrandsIn
) -> tuple[BrandsOut, bool]:
    """Set the names (no If-Match: the first time, else 409) or replace them (If-Match; 412 when
    stale or never set). (brands, created)."""
    require_staff(identity, community_id)
    repository = uow.repository(BrandRepository)
    names = body.model_dump(mode="json")
    if expected_version is None:
        created = await repository.create(community_id, names, identity.subject)
        if created is None:
            raise BrandsAlreadySet()
        return _brands_out(community_id, created), True
    replaced = await repository.replace(community_id, names, identity.subject, expected_version)
    if replaced is None:
        current = await repository.get(community_id)
        if current is None:
            raise PreconditionFailed(Text("该社区尚未设置品牌名称", "The community has set no brand names yet"))
        check_version(expected_version, current.version)
    return _brands_out(community_id, replaced), False


async def apply_starter(uow: UnitOfWork, identity: Identity, body: StarterCatalogueIn) -> StarterCatalogueOut:
    """Create the starter catalogue's types the community lacks (idempotent: a code it has is kept)."""
    require_staff(identity, body.community_id)
    repository = uow.repository(ServiceTypeRepository)
    await repository.lock_seeding()  # two applications at once: the second sees the first's types
    existing = await repository.codes(body.community_id)
    created, kept = [], []
    for entry in catalogue_for(body.community_id, body.bank_partner_id, body.mcn_partner_id):
        if entry.code in existing:
            kept.append(entry.code)
        else:
            await create(uow, identity, entry)
            created.append(entry.code)
    return StarterCatalogueOut(community_id=body.community_id, created=created, kept=kept)
