"""The residents' side of the grid.

How the grid knows a resident's building: the identity token of an employee or a representative
names their **enterprise** (`enterprise_id`), not a building; the registry's occupancies of that
enterprise (`GET /v1/enterprises/{id}/occupancies`, asked with the grid's service identity) say
which buildings it has a site in today. A resident's buildings are those; nothing is cached, so a
site that ends today stops counting today.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from grid.events.models import GridEvent, GridEventHistory
from grid.events.repository import EventRepository
from grid.events.schemas import EventRead
from grid.events.service import present as present_event
from grid.events.transitions import INITIAL as EVENT_INITIAL
from grid.hazards.exceptions import HazardNotFound
from grid.hazards.models import HazardHistory
from grid.hazards.repository import HazardRepository
from grid.hazards.schemas import HazardDetail, HazardHistoryRead, HazardRead
from grid.hazards.service import present as present_hazard
from grid.inspections.schemas import InspectionRead
from grid.registry.client import RegistryClient
from grid.residents.exceptions import (
    BuildingHasNoGrid,
    NoEnterprise,
    NoRectificationRequested,
    NotYourBuilding,
    NotYourEnterprise,
)
from grid.residents.repository import ResidentRepository
from grid.residents.schemas import BuildingGrid, BuildingGridWorkers, BuildingReport, GridWorkerContact, HazardReply
from shared.auth import Identity, Role
from shared.dates import business_today
from shared.db import utcnow
from shared.pagination import Page, decode_keyset, encode_cursor
from shared.uow import UnitOfWork


def mask_phone(phone: str) -> str:
    """The first three and last four digits, the rest as `*` (138****0000); a +86 prefix is dropped."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def _enterprise(identity: Identity) -> uuid.UUID:
    if identity.enterprise_id is None:
        raise NoEnterprise()
    return identity.enterprise_id


async def _require_building(registry: RegistryClient, identity: Identity, building_id: uuid.UUID, day: dt.date) -> None:
    """403 unless the caller's enterprise has a site in the building on `day`."""
    if building_id not in await registry.enterprise_buildings(_enterprise(identity), day):
        raise NotYourBuilding()


async def building_workers(
    uow: UnitOfWork, registry: RegistryClient, identity: Identity, building_id: uuid.UUID
) -> BuildingGridWorkers:
    """ "My grid worker": the building's grids today, each with its primary worker (masked phone)."""
    today = business_today()
    await _require_building(registry, identity, building_id, today)
    repository = uow.repository(ResidentRepository)
    rows = await repository.building_grids(building_id, today)
    workers = await repository.primary_workers({grid.id for _, grid in rows}, today)
    grids = []
    for assignment, grid in rows:
        worker = workers.get(grid.id)
        contact = (
            GridWorkerContact(name=worker.name, phone_masked=mask_phone(worker.phone), duty_hours=worker.duty_hours)
            if worker
            else None
        )
        grids.append(
            BuildingGrid(
                grid_id=grid.id,
                code=grid.code,
                name=grid.name,
                floor_from=assignment.floor_from,
                floor_to=assignment.floor_to,
                primary_worker=contact,
            )
        )
    return BuildingGridWorkers(building_id=building_id, as_of=today, grids=grids)


async def report_from_building(
    uow: UnitOfWork, registry: RegistryClient, identity: Identity, body: BuildingReport
) -> EventRead:
    """A resident's report: the event gets the grid the building (that floor) belongs to today."""
    today = business_today()
    await _require_building(registry, identity, body.building_id, today)
    rows = await uow.repository(ResidentRepository).building_grids(body.building_id, today)

    def covers(floor_from: int | None, floor_to: int | None) -> bool:
        if body.floor is None:
            return floor_from is None and floor_to is None
        return (floor_from is None or floor_from <= body.floor) and (floor_to is None or body.floor <= floor_to)

    chosen = next((grid for assignment, grid in rows if covers(assignment.floor_from, assignment.floor_to)), None)
    if chosen is None and rows:
        chosen = rows[0][1]  # no floor given (or none covering it): the building's first grid
    if chosen is None:
        raise BuildingHasNoGrid()
    channel = "enterprise" if Role.enterprise_rep in identity.roles else "app"
    event = GridEvent(
        community_id=chosen.community_id,
        grid_id=chosen.id,
        source_channel=channel,
        category=body.category,
        title=body.title,
        description=body.description,
        building_id=body.building_id,
        floor=body.floor,
        enterprise_id=identity.enterprise_id,
        reporter_subject=identity.subject,
        status=EVENT_INITIAL,
    )
    event = await uow.repository(ResidentRepository).add_event(event)
    role = Role.enterprise_rep if Role.enterprise_rep in identity.roles else Role.employee
    await uow.repository(EventRepository).add_history(
        GridEventHistory(
            event_id=event.id,
            action="report",
            from_status=EVENT_INITIAL,
            to_status=EVENT_INITIAL,
            actor=identity.subject,
            actor_role=str(role),
            data={"source_channel": channel, "building_id": str(body.building_id)},
        )
    )
    return present_event(event)


async def my_events(uow: UnitOfWork, identity: Identity, cursor: str | None, limit: int) -> Page[EventRead]:
    """An employee's own reports; a representative's, plus every event naming their enterprise."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    enterprise_id = identity.enterprise_id if Role.enterprise_rep in identity.roles else None
    rows = await uow.repository(ResidentRepository).my_events(
        subject=identity.subject, enterprise_id=enterprise_id, after=after, limit=limit + 1
    )
    now = utcnow()
    next_cursor = (
        encode_cursor([rows[limit - 1].created_at.isoformat(), rows[limit - 1].id]) if len(rows) > limit else None
    )
    return Page(items=[present_event(row, now) for row in rows[:limit]], next_cursor=next_cursor)


async def my_hazards(uow: UnitOfWork, identity: Identity, cursor: str | None, limit: int) -> Page[HazardRead]:
    """The hazards naming the representative's enterprise, newest first."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    rows = await uow.repository(ResidentRepository).enterprise_hazards(
        _enterprise(identity), after=after, limit=limit + 1
    )
    today = business_today()
    next_cursor = (
        encode_cursor([rows[limit - 1].created_at.isoformat(), rows[limit - 1].id]) if len(rows) > limit else None
    )
    return Page(items=[present_hazard(row, today) for row in rows[:limit]], next_cursor=next_cursor)


async def my_inspections(uow: UnitOfWork, identity: Identity, cursor: str | None, limit: int) -> Page[InspectionRead]:
    """The inspections that visited the representative's enterprise, latest visit first."""
    after = decode_keyset(cursor, dt.date.fromisoformat, uuid.UUID)
    rows = await uow.repository(ResidentRepository).enterprise_inspections(
        _enterprise(identity), after=after, limit=limit + 1
    )
    page = rows[:limit]
    hazards = await uow.repository(HazardRepository).for_inspection([row.id for row in page])
    items = [
        InspectionRead.model_validate(row).model_copy(update={"hazard_ids": hazards.get(row.id, [])}) for row in page
    ]
    next_cursor = encode_cursor([page[-1].visited_on.isoformat(), page[-1].id]) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def reply_to_hazard(uow: UnitOfWork, identity: Identity, hazard_id: uuid.UUID, body: HazardReply) -> HazardDetail:
    """The enterprise answers a rectification request (the hazard is `rectifying`); with
    `rectified: true` it reports the work done (→ `rectified`, for staff to verify)."""
    repository = uow.repository(HazardRepository)
    hazard = await repository.get(hazard_id, for_update=True)
    if hazard is None:
        raise HazardNotFound()
    if hazard.enterprise_id is None or hazard.enterprise_id != identity.enterprise_id:
        raise NotYourEnterprise()
    if hazard.status != "rectifying":
        raise NoRectificationRequested(extra={"status_now": hazard.status, "allowed_from": ["rectifying"]})
    previous = hazard.status
    if body.rectified:
        hazard.status = "rectified"
    hazard.updated_at = utcnow()  # an interim answer is a change too: the version moves
    await uow.flush()
    await repository.add_history(
        HazardHistory(
            hazard_id=hazard.id,
            action="report_rectified" if body.rectified else "enterprise_reply",
            from_status=previous,
            to_status=hazard.status,
            actor=identity.subject,
            note=body.note,
        )
    )
    history = await repository.history(hazard.id)
    return HazardDetail(
        **present_hazard(hazard).model_dump(), history=[HazardHistoryRead.model_validate(row) for row in history]
    )
