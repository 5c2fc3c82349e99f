"""Rules of grids: stable codes, micro-grids, retirement with successors, dated assignments."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from grid.access import require_grid
from grid.grids.exceptions import (
    AssignmentNotFound,
    BuildingOutsideCommunity,
    GridNotFound,
    GridRetired,
    InvalidGridParent,
    InvalidSuccessor,
    OutsideGridValidity,
)
from grid.grids.models import Grid, GridAssignment
from grid.grids.repository import AssignmentRepository, GridRepository
from grid.grids.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentRead,
    CommunitySettings,
    GridCreate,
    GridRead,
    GridReference,
    GridRetirement,
    GridUpdate,
    UnassignedBuilding,
    UnassignedBuildings,
)
from grid.registry.client import RegistryClient
from grid.workers.repository import WorkerRepository
from shared.auth import Identity, Role
from shared.concurrency import check_version
from shared.dates import business_today
from shared.i18n import Text
from shared.pagination import Page, encode_cursor
from shared.scope import require_staff
from shared.uow import UnitOfWork

DEFAULT_PATROL_INTERVAL_DAYS = 30


def _within(start: dt.date, end: dt.date | None, outer_start: dt.date, outer_end: dt.date | None) -> bool:
    if start < outer_start:
        return False
    if outer_end is None:
        return True
    return end is not None and end <= outer_end


async def read_grids(uow: UnitOfWork, grids: Sequence[Grid]) -> list[GridRead]:
    """The API view of grids, with their successors (one query for all of them)."""
    successors = await uow.repository(GridRepository).successors([grid.id for grid in grids])
    return [
        GridRead.model_validate(grid).model_copy(update={"successor_ids": successors.get(grid.id, [])})
        for grid in grids
    ]


async def load_grid(uow: UnitOfWork, identity: Identity, grid_id: uuid.UUID, *, for_update: bool = False) -> Grid:
    """The grid, if the caller may see it (staff of its community or one of its workers)."""
    grid = await uow.repository(GridRepository).get(grid_id, for_update=for_update)
    if grid is None:
        raise GridNotFound()
    require_grid(identity, grid.community_id, grid.id, grid.parent_id)
    return grid


async def grid_reference(uow: UnitOfWork, grid_id: uuid.UUID, user_subject: str | None = None) -> GridReference:
    """A grid's community, for platform services (no caller scope: the route is `service` only), and
    whether the worker signed in as `user_subject` is on duty there (the identity service's grants)."""
    grid = await uow.repository(GridRepository).get(grid_id)
    if grid is None:
        raise GridNotFound()
    reference = GridReference.model_validate(grid)
    if user_subject is not None:
        on_duty = await uow.repository(WorkerRepository).has_duty(grid_id, user_subject, business_today())
        reference = reference.model_copy(update={"worker_on_duty": on_duty})
    return reference


async def create_grid(uow: UnitOfWork, registry: RegistryClient, identity: Identity, body: GridCreate) -> GridRead:
    """Create a grid (or a micro-grid under `parent_id`) with the next never-used code."""
    require_staff(identity, body.community_id)
    community = await registry.community(body.community_id)
    repository = uow.repository(GridRepository)
    if body.parent_id is not None:
        parent = await repository.get(body.parent_id)
        if parent is None or parent.community_id != body.community_id or parent.parent_id is not None:
            raise InvalidGridParent(
                Text("上级网格须为同社区的基础网格", "The parent must be a top-level grid of the same community")
            )
        if parent.retired:
            raise GridRetired()
        if not _within(body.valid_from, body.valid_to, parent.valid_from, parent.valid_to):
            raise OutsideGridValidity(Text("微网格有效期须在上级网格之内", "A micro-grid must lie within its parent"))
        code = f"{parent.code}-{await repository.next_child_number(parent.id):02d}"
    else:
        number = await repository.next_grid_number(body.community_id, community.code)
        code = f"{community.code}-{number:03d}"
    grid = Grid(
        community_id=body.community_id,
        code=code,
        name=body.name,
        kind=body.kind,
        parent_id=body.parent_id,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    (read,) = await read_grids(uow, [await repository.add(grid)])
    return read


async def get_grid(uow: UnitOfWork, identity: Identity, grid_id: uuid.UUID) -> GridRead:
    """One grid the caller may see, with its successors."""
    (read,) = await read_grids(uow, [await load_grid(uow, identity, grid_id)])
    return read


async def list_grids(
    uow: UnitOfWork,
    identity: Identity,
    community_id: uuid.UUID,
    *,
    include_retired: bool,
    after_code: str | None,
    limit: int,
) -> Page[GridRead]:
    """Staff see their community's grids; grid workers only their own grids and micro-grids. One
    page by code after `after_code`."""
    only_ids: frozenset[uuid.UUID] | None = None
    if not identity.staff_of(community_id):
        if Role.grid_worker not in identity.roles:
            require_staff(identity, community_id)
        only_ids = identity.grid_ids
    grids = await uow.repository(GridRepository).list_for_community(
        community_id, only_ids=only_ids, include_retired=include_retired, after_code=after_code, limit=limit + 1
    )
    next_cursor = encode_cursor([grids[limit - 1].code]) if len(grids) > limit else None
    return Page(items=await read_grids(uow, grids[:limit]), next_cursor=next_cursor)


async def update_grid(
    uow: UnitOfWork, identity: Identity, grid_id: uuid.UUID, expected_version: int, body: GridUpdate
) -> GridRead:
    """Change the name or kind of a grid at `expected_version`; the code never changes."""
    grid = await load_grid(uow, identity, grid_id, for_update=True)
    check_version(expected_version, grid.version)
    require_staff(identity, grid.community_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(grid, field, value)
    await uow.flush()
    (read,) = await read_grids(uow, [grid])
    return read


async def retire_grid(uow: UnitOfWork, identity: Identity, grid_id: uuid.UUID, body: GridRetirement) -> GridRead:
    """Retire a grid on a date: its assignments end then, its successors are recorded."""
    grid = await load_grid(uow, identity, grid_id, for_update=True)
    require_staff(identity, grid.community_id)
    if grid.retired:
        raise GridRetired()
    if body.retired_on <= grid.valid_from or (grid.valid_to is not None and body.retired_on > grid.valid_to):
        raise OutsideGridValidity(Text("撤销日期须在网格有效期内", "The retirement date must fall within the validity"))
    repository = uow.repository(GridRepository)
    successors = await repository.get_many(set(body.successor_ids))
    if len(successors) != len(set(body.successor_ids)) or any(
        successor.id == grid.id or successor.community_id != grid.community_id or successor.retired
        for successor in successors
    ):
        raise InvalidSuccessor(
            Text("继任网格须为同社区的在用网格", "Successors must be other active grids of the same community")
        )
    grid.valid_to = body.retired_on
    grid.retired = True
    await uow.repository(AssignmentRepository).end_open_for_grid(grid.id, body.retired_on, "grid retired")
    await repository.add_successors(grid.id, set(body.successor_ids))
    await uow.flush()
    (read,) = await read_grids(uow, [grid])
    return read


async def assign_building(
    uow: UnitOfWork, registry: RegistryClient, identity: Identity, grid: Grid, body: AssignmentCreate
) -> AssignmentRead:
    """Assign a building (or floors of it) to the grid; the registry must place it in the grid's community."""
    require_staff(identity, grid.community_id)
    if grid.retired:
        raise GridRetired()
    if not _within(body.valid_from, body.valid_to, grid.valid_from, grid.valid_to):
        raise OutsideGridValidity(
            Text("分配期间须在网格有效期内", "The assignment must lie within the grid's validity")
        )
    periods = await registry.jurisdiction(body.building_id)
    if not any(p.community_id == grid.community_id and p.covers(body.valid_from, body.valid_to) for p in periods):
        raise BuildingOutsideCommunity(
            Text(
                "登记服务显示该楼宇在此期间不属于本社区", "The registry does not place the building in this community"
            ),
            errors=[{"detail": "building outside the grid's community for the period", "pointer": "/building_id"}],
        )
    assignment = GridAssignment(
        grid_id=grid.id,
        community_id=grid.community_id,
        building_id=body.building_id,
        floor_from=body.floor_from,
        floor_to=body.floor_to,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    return AssignmentRead.model_validate(await uow.repository(AssignmentRepository).add(assignment))


async def list_assignments(uow: UnitOfWork, grid: Grid, as_of: dt.date | None) -> list[AssignmentRead]:
    """Every assignment of the grid, or only those in force on `as_of`."""
    rows = await uow.repository(AssignmentRepository).list_for_grid(grid.id, as_of)
    return [AssignmentRead.model_validate(row) for row in rows]


async def end_assignment(
    uow: UnitOfWork, identity: Identity, grid: Grid, assignment_id: uuid.UUID, body: AssignmentEnd
) -> AssignmentRead:
    """End an assignment of the grid on a date within it."""
    require_staff(identity, grid.community_id)
    assignment = await uow.repository(AssignmentRepository).get(assignment_id)
    if assignment is None or assignment.grid_id != grid.id:
        raise AssignmentNotFound()
    if body.ended_on <= assignment.valid_from or (
        assignment.valid_to is not None and body.ended_on > assignment.valid_to
    ):
        raise OutsideGridValidity(Text("结束日期须在分配期间内", "The end date must fall within the assignment"))
    assignment.valid_to = body.ended_on
    assignment.end_reason = body.reason
    await uow.flush()
    return AssignmentRead.model_validate(assignment)


async def unassigned_buildings(
    uow: UnitOfWork, registry: RegistryClient, identity: Identity, community_id: uuid.UUID, as_of: dt.date
) -> UnassignedBuildings:
    """Buildings of the community on `as_of` (per the registry) that no grid covers."""
    require_staff(identity, community_id)
    buildings = await registry.community_buildings(community_id, as_of)
    assigned = await uow.repository(AssignmentRepository).assigned_buildings(community_id, as_of)
    items = [UnassignedBuilding(building_id=b.id, name=b.name) for b in buildings if b.id not in assigned]
    return UnassignedBuildings(community_id=community_id, as_of=as_of, items=items)


async def community_settings(uow: UnitOfWork, community_id: uuid.UUID) -> int:
    """The community's patrol interval in days."""
    setting = await uow.repository(GridRepository).setting(community_id)
    return setting.patrol_interval_days if setting else DEFAULT_PATROL_INTERVAL_DAYS


async def read_settings(uow: UnitOfWork, identity: Identity, community_id: uuid.UUID) -> CommunitySettings:
    """The patrol interval, for staff of the community or a grid worker with a grid in it."""
    worker = identity.has(Role.grid_worker) and not identity.staff_of(community_id)
    grids = await uow.repository(GridRepository).get_many(identity.grid_ids) if worker else []
    if not any(grid.community_id == community_id for grid in grids):
        require_staff(identity, community_id)
    days = await community_settings(uow, community_id)
    return CommunitySettings(community_id=community_id, patrol_interval_days=days)


async def save_patrol_interval(
    uow: UnitOfWork, registry: RegistryClient, identity: Identity, community_id: uuid.UUID, days: int
) -> CommunitySettings:
    """Set how often every building of the community must be inspected."""
    require_staff(identity, community_id)
    community = await registry.community(community_id)
    setting = await uow.repository(GridRepository).save_patrol_interval(community_id, community.code, days)
    return CommunitySettings.model_validate(setting)
