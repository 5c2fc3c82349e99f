"""Rules of inspections: visits only to buildings of the grid that day, answers that fit the checklist,
findings that become hazards, and patrol freshness."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from grid.access import require_grid
from grid.grids.exceptions import GridNotFound
from grid.grids.models import Grid
from grid.grids.repository import GridRepository
from grid.grids.service import community_settings
from grid.hazards.repository import HazardRepository
from grid.hazards.schemas import HazardCreate
from grid.hazards.service import record_hazard
from grid.inspections.exceptions import (
    AnswersDoNotMatchTemplate,
    BuildingNotInGrid,
    InspectionNotFound,
    TemplateNotFound,
)
from grid.inspections.models import ChecklistTemplate, Inspection
from grid.inspections.repository import InspectionRepository
from grid.inspections.schemas import (
    InspectionCreate,
    InspectionDetail,
    InspectionHistoryRead,
    InspectionRead,
    StaleBuilding,
    StaleBuildings,
    TemplateCreate,
    TemplateRead,
)
from grid.workers.repository import WorkerRepository
from shared.auth import Identity, Role
from shared.errors import Forbidden
from shared.i18n import Text
from shared.scope import require_staff
from shared.uow import UnitOfWork

DEFAULT_DEADLINE_DAYS = {"general": 15, "major": 7}


async def create_template(uow: UnitOfWork, identity: Identity, body: TemplateCreate) -> TemplateRead:
    """Platform-wide templates are for platform admins; community ones for that community's staff."""
    if body.community_id is None:
        if Role.platform_admin not in identity.roles:
            raise Forbidden(Text("全平台模板仅平台管理员可建", "Only platform admins create platform-wide templates"))
    else:
        require_staff(identity, body.community_id)
    template = ChecklistTemplate(
        community_id=body.community_id,
        name=body.name,
        category=body.category,
        items=[item.model_dump() for item in body.items],
    )
    return TemplateRead.model_validate(await uow.repository(InspectionRepository).add_template(template))


async def list_templates(uow: UnitOfWork, community_id: uuid.UUID) -> list[TemplateRead]:
    templates = await uow.repository(InspectionRepository).templates(community_id)
    return [TemplateRead.model_validate(template) for template in templates]


async def _present(uow: UnitOfWork, inspections: Sequence[Inspection]) -> list[InspectionRead]:
    hazards = await uow.repository(HazardRepository).for_inspection([i.id for i in inspections])
    return [
        InspectionRead.model_validate(i).model_copy(update={"hazard_ids": hazards.get(i.id, [])}) for i in inspections
    ]


async def _grid_for(uow: UnitOfWork, identity: Identity, grid_id: uuid.UUID) -> Grid:
    grid = await uow.repository(GridRepository).get(grid_id)
    if grid is None:
        raise GridNotFound()
    require_grid(identity, grid.community_id, grid.id, grid.parent_id)
    return grid


async def record_inspection(uow: UnitOfWork, identity: Identity, body: InspectionCreate) -> InspectionRead:
    """Record a visit; findings marked `raise_hazard` enter the hazard ledger in the same transaction."""
    grid = await _grid_for(uow, identity, body.grid_id)
    repository = uow.repository(InspectionRepository)
    if not await repository.building_in_grid(grid.id, body.building_id, body.visited_on):
        raise BuildingNotInGrid(errors=[{"detail": "building not in the grid that day", "pointer": "/building_id"}])
    if body.template_id is not None:
        template = await repository.template(body.template_id)
        if template is None or template.community_id not in (None, grid.community_id):
            raise TemplateNotFound()
        keys = {item["key"] for item in template.items}
        if set(body.answers) != keys:
            raise AnswersDoNotMatchTemplate(
                Text("须逐项回答检查表", "Answer every checklist item and nothing else"),
                extra={"missing": sorted(keys - set(body.answers)), "unknown": sorted(set(body.answers) - keys)},
            )
    worker = await uow.repository(WorkerRepository).by_subject(identity.subject)
    inspection = await repository.add(
        Inspection(
            community_id=grid.community_id,
            grid_id=grid.id,
            building_id=body.building_id,
            floor=body.floor,
            enterprise_id=body.enterprise_id,
            template_id=body.template_id,
            worker_id=worker.id if worker else None,
            inspector_subject=identity.subject,
            visited_on=body.visited_on,
            answers=body.answers,
            findings=[finding.model_dump(mode="json") for finding in body.findings],
            notes=body.notes,
        )
    )
    for finding in body.findings:
        if not finding.raise_hazard:
            continue
        deadline = finding.deadline or body.visited_on + dt.timedelta(days=DEFAULT_DEADLINE_DAYS[finding.level])
        hazard = HazardCreate(
            grid_id=grid.id,
            building_id=body.building_id,
            floor=body.floor,
            enterprise_id=body.enterprise_id,
            level=finding.level,
            description=finding.description,
            deadline=deadline,
        )
        await record_hazard(uow, identity, community_id=grid.community_id, body=hazard, inspection_id=inspection.id)
    (read,) = await _present(uow, [inspection])
    return read


async def get_inspection(uow: UnitOfWork, identity: Identity, inspection_id: uuid.UUID) -> InspectionDetail:
    repository = uow.repository(InspectionRepository)
    inspection = await repository.get(inspection_id)
    if inspection is None:
        raise InspectionNotFound()
    await _grid_for(uow, identity, inspection.grid_id)
    (read,) = await _present(uow, [inspection])
    history = [InspectionHistoryRead.model_validate(row) for row in await repository.history(inspection.id)]
    return InspectionDetail(**read.model_dump(), history=history)


async def list_inspections(
    uow: UnitOfWork,
    identity: Identity,
    grid_id: uuid.UUID,
    building_id: uuid.UUID | None,
    after: tuple[dt.date, uuid.UUID] | None,
    limit: int,
) -> list[InspectionRead]:
    await _grid_for(uow, identity, grid_id)
    rows = await uow.repository(InspectionRepository).list_for_grid(grid_id, building_id, after, limit)
    return await _present(uow, rows)


async def stale_buildings(uow: UnitOfWork, grid: Grid, as_of: dt.date) -> StaleBuildings:
    """Buildings of the grid not visited within the community's patrol interval before `as_of`."""
    interval = await community_settings(uow, grid.community_id)
    items = []
    for building_id, last in await uow.repository(InspectionRepository).last_visits(grid.id, as_of):
        due = last + dt.timedelta(days=interval) if last else None
        if due is None or due < as_of:
            items.append(StaleBuilding(building_id=building_id, last_visited_on=last, due_on=due))
    return StaleBuildings(grid_id=grid.id, as_of=as_of, patrol_interval_days=interval, items=items)
