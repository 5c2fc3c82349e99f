"""SQL for checklist templates, inspections and patrol freshness."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select

from grid.grids.models import GridAssignment
from grid.inspections.models import ChecklistTemplate, Inspection, InspectionHistory
from shared.pagination import after_keyset
from shared.uow import Repository


class InspectionRepository(Repository):
    async def add_template(self, template: ChecklistTemplate) -> ChecklistTemplate:
        self.session.add(template)
        await self.session.flush()
        return template

    async def template(self, template_id: uuid.UUID) -> ChecklistTemplate | None:
        return await self.session.get(ChecklistTemplate, template_id)

    async def templates(self, community_id: uuid.UUID) -> Sequence[ChecklistTemplate]:
        statement = (
            select(ChecklistTemplate)
            .where(
                or_(ChecklistTemplate.community_id == community_id, ChecklistTemplate.community_id.is_(None)),
                ChecklistTemplate.active.is_(True),
            )
            .order_by(ChecklistTemplate.category, ChecklistTemplate.name)
        )
        return (await self.session.scalars(statement)).all()

    async def add(self, inspection: Inspection) -> Inspection:
        self.session.add(inspection)
        await self.session.flush()
        return inspection

    async def get(self, inspection_id: uuid.UUID) -> Inspection | None:
        return await self.session.get(Inspection, inspection_id)

    async def add_history(self, history: InspectionHistory) -> None:
        self.session.add(history)
        await self.session.flush()

    async def history(self, inspection_id: uuid.UUID) -> Sequence[InspectionHistory]:
        statement = (
            select(InspectionHistory)
            .where(InspectionHistory.inspection_id == inspection_id)
            .order_by(InspectionHistory.created_at, InspectionHistory.id)
        )
        return (await self.session.scalars(statement)).all()

    async def building_in_grid(self, grid_id: uuid.UUID, building_id: uuid.UUID, day: dt.date) -> bool:
        statement = select(GridAssignment.id).where(
            GridAssignment.grid_id == grid_id,
            GridAssignment.building_id == building_id,
            GridAssignment.valid_from <= day,
            or_(GridAssignment.valid_to.is_(None), GridAssignment.valid_to > day),
        )
        return (await self.session.execute(statement.limit(1))).first() is not None

    async def list_for_grid(
        self,
        grid_id: uuid.UUID,
        building_id: uuid.UUID | None,
        after: tuple[dt.date, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Inspection]:
        statement = select(Inspection).where(Inspection.grid_id == grid_id)
        if building_id is not None:
            statement = statement.where(Inspection.building_id == building_id)
        if after is not None:
            statement = statement.where(
                after_keyset([Inspection.visited_on.expression, Inspection.id.expression], list(after), [True, True])
            )
        order = (Inspection.visited_on.desc(), Inspection.id.desc())
        return (await self.session.scalars(statement.order_by(*order).limit(limit))).all()

    async def last_visits(self, grid_id: uuid.UUID, as_of: dt.date) -> list[tuple[uuid.UUID, dt.date | None]]:
        """Each building assigned to the grid on `as_of`, with its latest visit on or before that day."""
        last_visit = (
            select(func.max(Inspection.visited_on))
            .where(Inspection.building_id == GridAssignment.building_id, Inspection.visited_on <= as_of)
            .scalar_subquery()
        )
        statement = (
            select(GridAssignment.building_id, last_visit)
            .where(
                GridAssignment.grid_id == grid_id,
                GridAssignment.valid_from <= as_of,
                or_(GridAssignment.valid_to.is_(None), GridAssignment.valid_to > as_of),
            )
            .distinct()
            .order_by(GridAssignment.building_id)
        )
        return [(building_id, visited) for building_id, visited in await self.session.execute(statement)]
