"""SQL of the residents' views: a building's grids and primary workers, and the "my ..." lists."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from grid.events.models import GridEvent
from grid.grids.models import Grid, GridAssignment
from grid.grids.repository import active_on
from grid.hazards.models import Hazard
from grid.inspections.models import Inspection
from grid.workers.models import GridDuty, GridWorker
from shared.pagination import after_keyset
from shared.uow import Repository


def _duty_on(day: dt.date) -> ColumnElement[bool]:
    return (GridDuty.valid_from <= day) & (GridDuty.valid_to.is_(None) | (GridDuty.valid_to > day))


class ResidentRepository(Repository):
    async def building_grids(self, building_id: uuid.UUID, day: dt.date) -> Sequence[tuple[GridAssignment, Grid]]:
        """The assignments of the building in force on `day` with their grids, lowest floors first."""
        statement = (
            select(GridAssignment, Grid)
            .join(Grid, Grid.id == GridAssignment.grid_id)
            .where(GridAssignment.building_id == building_id, active_on(GridAssignment, day))
            .order_by(GridAssignment.floor_from.nulls_first(), Grid.code)
        )
        return [(assignment, grid) for assignment, grid in (await self.session.execute(statement)).all()]

    async def primary_workers(self, grid_ids: Collection[uuid.UUID], day: dt.date) -> dict[uuid.UUID, GridWorker]:
        """The primary worker on duty on `day` of each grid that has one (one per grid: the constraint)."""
        if not grid_ids:
            return {}
        statement = (
            select(GridDuty.grid_id, GridWorker)
            .join(GridWorker, GridWorker.id == GridDuty.worker_id)
            .where(GridDuty.grid_id.in_(grid_ids), GridDuty.role == "primary", _duty_on(day))
        )
        return {row[0]: row[1] for row in (await self.session.execute(statement)).all()}

    async def add_event(self, event: GridEvent) -> GridEvent:
        self.session.add(event)
        await self.session.flush()
        return event

    async def my_events(
        self,
        *,
        subject: str,
        enterprise_id: uuid.UUID | None,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[GridEvent]:
        """Events the subject reported, and (for a representative) those naming their enterprise; newest first."""
        mine: ColumnElement[bool] = GridEvent.reporter_subject == subject
        if enterprise_id is not None:
            mine = or_(mine, GridEvent.enterprise_id == enterprise_id)
        statement = select(GridEvent).where(mine)
        if after is not None:
            keys: list[ColumnElement[Any]] = [GridEvent.created_at.expression, GridEvent.id.expression]
            statement = statement.where(after_keyset(keys, list(after), [True, True]))
        order = (GridEvent.created_at.desc(), GridEvent.id.desc())
        return (await self.session.scalars(statement.order_by(*order).limit(limit))).all()

    async def enterprise_hazards(
        self, enterprise_id: uuid.UUID, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[Hazard]:
        statement = select(Hazard).where(Hazard.enterprise_id == enterprise_id)
        if after is not None:
            keys: list[ColumnElement[Any]] = [Hazard.created_at.expression, Hazard.id.expression]
            statement = statement.where(after_keyset(keys, list(after), [True, True]))
        order = (Hazard.created_at.desc(), Hazard.id.desc())
        return (await self.session.scalars(statement.order_by(*order).limit(limit))).all()

    async def enterprise_inspections(
        self, enterprise_id: uuid.UUID, *, after: tuple[dt.date, uuid.UUID] | None, limit: int
    ) -> Sequence[Inspection]:
        statement = select(Inspection).where(Inspection.enterprise_id == enterprise_id)
        if after is not None:
            keys: list[ColumnElement[Any]] = [Inspection.visited_on.expression, Inspection.id.expression]
            statement = statement.where(after_keyset(keys, list(after), [True, True]))
        order = (Inspection.visited_on.desc(), Inspection.id.desc())
        return (await self.session.scalars(statement.order_by(*order).limit(limit))).all()
