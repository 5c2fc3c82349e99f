"""`GET /v1/grids/{id}/summary`."""

from __future__ import annotations

from fastapi import APIRouter

from grid.grids.dependencies import ValidGrid
from grid.registry.dependencies import RegistryDep
from grid.summary.schemas import GridSummary
from grid.summary.service import grid_summary
from shared.auth import Role, allow
from shared.dates import business_today
from shared.errors import problem_responses
from shared.iso import IsoDate
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/grids", tags=["grids"])


@router.get(
    "/{grid_id}/summary",
    summary="A grid at a glance",
    dependencies=[allow(Role.platform_admin, Role.community_staff, Role.grid_worker)],
    responses=problem_responses(404, 503),
)
async def summary(
    grid: ValidGrid, uow: UnitOfWorkDep, registry: RegistryDep, as_of: IsoDate | None = None
) -> GridSummary:
    """Buildings, enterprises and employees, open hazards by level, overdue events, stale buildings, who is on duty."""
    return await grid_summary(uow, registry, grid, as_of or business_today())
