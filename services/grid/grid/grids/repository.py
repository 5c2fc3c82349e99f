"""SQL for grids, successions, assignments and community grid settings."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from grid.grids.models import CommunitySetting, Grid, GridAssignment, GridSuccessor
from shared.pagination import after_keyset
from shared.uow import Repository


def active_on(model: type[GridAssignment], day: dt.date) -> ColumnElement[bool]:
    """The assignment holds on `day` (its validity `[valid_from, valid_to)` contains it)."""
    return (model.valid_from <= day) & or_(model.valid_to.is_(None), model.valid_to > day)


class GridRepository(Repository):
    async def get(self, grid_id: uuid.UUID, *, for_update: bool = False) -> Grid | None:
        statement = select(Grid).where(Grid.id == grid_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def get_many(self, grid_ids: Collection[uuid.UUID]) -> list[Grid]:
        if not grid_ids:
            return []
        return list((await self.session.scalars(select(Grid).where(Grid.id.in_(grid_ids)))).all())

    async def next_grid_number(self, community_id: uuid.UUID, community_code: str) -> int:
        """Hand out the community's next grid number; the row lock serialises concurrent creators."""
        statement = (
            insert(CommunitySetting)
            .values(community_id=community_id, community_code=community_code, grid_sequence=1)
            .on_conflict_do_update(
                index_elements=[CommunitySetting.community_id],
                set_={"grid_sequence": CommunitySetting.grid_sequence + 1, "community_code": community_code},
            )
            .returning(CommunitySetting.grid_sequence)
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def next_child_number(self, parent_id: uuid.UUID) -> int:
        statement = (
            update(Grid)
            .where(Grid.id == parent_id)
            .values(child_sequence=Grid.child_sequence + 1)
            .returning(Grid.child_sequence)
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def add(self, grid: Grid) -> Grid:
        self.session.add(grid)
        await self.session.flush()
        return grid

    async def list_for_community(
        self,
        community_id: uuid.UUID,
        *,
        only_ids: Collection[uuid.UUID] | None,
        include_retired: bool,
        after_code: str | None,
        limit: int,
    ) -> Sequence[Grid]:
        statement = select(Grid).where(Grid.community_id == community_id)
        if only_ids is not None:
            statement = statement.where(or_(Grid.id.in_(only_ids), Grid.parent_id.in_(only_ids)))
        if not include_retired:
            statement = statement.where(Grid.retired.is_(False))
        if after_code is not None:
            statement = statement.where(after_keyset([Grid.code.expression], [after_code], [False]))
        return (await self.session.scalars(statement.order_by(Grid.code).limit(limit))).all()

    async def successors(self, grid_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        if not grid_ids:
            return {}
        rows = await self.session.execute(
            select(GridSuccessor.grid_id, GridSuccessor.successor_id)
            .where(GridSuccessor.grid_id.in_(grid_ids))
            .order_by(GridSuccessor.successor_id)
        )
        found: dict[uuid.UUID, list[uuid.UUID]] = {}
        for grid_id, successor_id in rows:
            found.setdefault(grid_id, []).append(successor_id)
        return found

    async def add_successors(self, grid_id: uuid.UUID, successor_ids: Collection[uuid.UUID]) -> None:
        for successor_id in successor_ids:
            self.session.add(GridSuccessor(grid_id=grid_id, successor_id=successor_id))
        await self.session.flush()

    async def setting(self, community_id: uuid.UUID) -> CommunitySetting | None:
        return await self.session.get(CommunitySetting, community_id)

    async def save_patrol_interval(self, community_id: uuid.UUID, community_code: str, days: int) -> CommunitySetting:
        statement = (
            insert(CommunitySetting)
            .values(community_id=community_id, community_code=community_code, patrol_interval_days=days)
            .on_conflict_do_update(index_elements=[CommunitySetting.community_id], set_={"patrol_interval_days": days})
            .returning(CommunitySetting)
        )
        return (await self.session.execute(statement)).scalar_one()


class AssignmentRepository(Repository):
    async def add(self, assignment: GridAssignment) -> GridAssignment:
        self.session.add(assignment)
        await self.session.flush()
        return assignment

    async def get(self, assignment_id: uuid.UUID) -> GridAssignment | None:
        return await self.session.get(GridAssignment, assignment_id, with_for_update=True)

    async def list_for_grid(self, grid_id: uuid.UUID, as_of: dt.date | None) -> Sequence[GridAssignment]:
        statement = select(GridAssignment).where(GridAssignment.grid_id == grid_id)
        if as_of is not None:
            statement = statement.where(active_on(GridAssignment, as_of))
        order = (GridAssignment.building_id, GridAssignment.floor_from.nulls_first(), GridAssignment.valid_from)
        return (await self.session.scalars(statement.order_by(*order))).all()

    async def active_for_grids(self, grid_ids: Collection[uuid.UUID], as_of: dt.date) -> Sequence[GridAssignment]:
        statement = select(GridAssignment).where(
            GridAssignment.grid_id.in_(grid_ids),
            active_on(GridAssignment, as_of),
        )
        return (await self.session.scalars(statement.order_by(GridAssignment.building_id))).all()

    async def covers(self, grid_id: uuid.UUID, building_id: uuid.UUID, day: dt.date) -> bool:
        """Whether the building (or floors of it) belongs to the grid on `day`."""
        statement = select(GridAssignment.id).where(
            GridAssignment.grid_id == grid_id,
            GridAssignment.building_id == building_id,
            active_on(GridAssignment, day),
        )
        return (await self.session.execute(statement.limit(1))).first() is not None

    async def assigned_buildings(self, community_id: uuid.UUID, as_of: dt.date) -> set[uuid.UUID]:
        statement = select(GridAssignment.building_id).where(
            GridAssignment.community_id == community_id,
            active_on(GridAssignment, as_of),
        )
        return set((await self.session.scalars(statement)).all())

    async def end_open_for_grid(self, grid_id: uuid.UUID, day: dt.date, reason: str) -> None:
        """End the grid's assignments still running on `day`; drop those that would start later."""
        await self.session.execute(
            delete(GridAssignment).where(GridAssignment.grid_id == grid_id, GridAssignment.valid_from >= day)
        )
        await self.session.execute(
            update(GridAssignment)
            .where(
                GridAssignment.grid_id == grid_id,
                or_(GridAssignment.valid_to.is_(None), GridAssignment.valid_to > day),
            )
            .values(valid_to=day, end_reason=reason)
        )

    async def end_for_building(self, building_id: uuid.UUID, community_id: uuid.UUID, day: dt.date, reason: str) -> int:
        """End the building's assignments in `community_id` from `day` on; returns how many changed."""
        dropped = await self.session.execute(
            delete(GridAssignment)
            .where(
                GridAssignment.building_id == building_id,
                GridAssignment.community_id == community_id,
                GridAssignment.valid_from >= day,
            )
            .returning(GridAssignment.id)
        )
        ended = await self.session.execute(
            update(GridAssignment)
            .where(
                GridAssignment.building_id == building_id,
                GridAssignment.community_id == community_id,
                or_(GridAssignment.valid_to.is_(None), GridAssignment.valid_to > day),
            )
            .values(valid_to=day, end_reason=reason)
            .returning(GridAssignment.id)
        )
        return len(dropped.all()) + len(ended.all())
