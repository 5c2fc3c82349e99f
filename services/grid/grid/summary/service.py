"""A grid at a glance: buildings, people (from the registry), open hazards, overdue events, patrols, duty."""

from __future__ import annotations

import datetime as dt

from grid.events.repository import EventRepository
from grid.grids.models import Grid
from grid.grids.repository import AssignmentRepository
from grid.hazards.repository import HazardRepository
from grid.inspections.service import stale_buildings
from grid.registry.client import RegistryClient
from grid.summary.schemas import GridSummary, OnDuty
from grid.workers.repository import WorkerRepository
from shared.db import utcnow
from shared.uow import UnitOfWork


async def grid_summary(uow: UnitOfWork, registry: RegistryClient, grid: Grid, as_of: dt.date) -> GridSummary:
    """Everything a community officer asks about a grid on one day."""
    headcounts = await registry.headcounts(grid.community_id, as_of)
    assignments = await uow.repository(AssignmentRepository).active_for_grids([grid.id], as_of)
    buildings = {a.building_id for a in assignments}
    split = {a.building_id for a in assignments if a.floor_from is not None or a.floor_to is not None}
    by_level = await uow.repository(HazardRepository).open_by_level(grid.id)
    workers = uow.repository(WorkerRepository)
    on_duty = []
    for duty in await workers.duties(grid_id=grid.id, as_of=as_of):
        worker = await workers.get(duty.worker_id)
        if worker is not None:
            on_duty.append(OnDuty(worker_id=worker.id, name=worker.name, role=duty.role))
    on_duty.sort(key=lambda d: (d.role != "primary", d.name))
    return GridSummary(
        grid_id=grid.id,
        code=grid.code,
        as_of=as_of,
        buildings=len(buildings),
        buildings_split_by_floors=len(split),
        enterprises=sum(headcounts[b].enterprises for b in buildings if b in headcounts),
        employees=sum(headcounts[b].employees for b in buildings if b in headcounts),
        open_hazards={"general": by_level.get("general", 0), "major": by_level.get("major", 0)},
        overdue_events=await uow.repository(EventRepository).overdue_count(grid.id, utcnow()),
        stale_buildings=len((await stale_buildings(uow, grid, as_of)).items),
        on_duty=on_duty,
    )
