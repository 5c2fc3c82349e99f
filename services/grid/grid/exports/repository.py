"""SQL of the grid's exports: each reads its rows through a server-side cursor, a batch at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Row, func, select

from grid.events.models import GridEvent
from grid.grids.models import Grid
from grid.hazards.models import Hazard
from grid.hazards.states import OVERDUE_STATUSES
from grid.inspections.models import Inspection
from shared.uow import Repository

BATCH = 1000


class GridExportRepository(Repository):
    async def _stream(self, statement: Any) -> AsyncIterator[Row[Any]]:
        result = await self.session.stream(statement.execution_options(yield_per=BATCH))
        async for row in result:
            yield row

    def hazards(
        self, community_id: uuid.UUID, start: dt.datetime, end: dt.datetime, today: dt.date
    ) -> AsyncIterator[Row[Any]]:
        """The ledger's entries made in [start, end), oldest first, with their grid's code."""
        overdue = Hazard.status.in_(OVERDUE_STATUSES) & (Hazard.deadline < today)
        statement = (
            select(
                Hazard.id,
                Grid.code,
                Hazard.building_id,
                Hazard.floor,
                Hazard.enterprise_id,
                Hazard.level,
                Hazard.description,
                Hazard.deadline,
                Hazard.status,
                overdue.label("overdue"),
                Hazard.reported_by,
                Hazard.created_at,
            )
            .join(Grid, Grid.id == Hazard.grid_id)
            .where(Hazard.community_id == community_id, Hazard.created_at >= start, Hazard.created_at < end)
            .order_by(Hazard.created_at, Hazard.id)
        )
        return self._stream(statement)

    def events(self, community_id: uuid.UUID, start: dt.datetime, end: dt.datetime) -> AsyncIterator[Row[Any]]:
        """The community's grid events reported in [start, end), oldest first."""
        statement = (
            select(
                GridEvent.id,
                Grid.code,
                GridEvent.source_channel,
                GridEvent.category,
                GridEvent.title,
                GridEvent.building_id,
                GridEvent.enterprise_id,
                GridEvent.status,
                GridEvent.handler_type,
                GridEvent.handler_name,
                GridEvent.dispatched_at,
                GridEvent.deadline,
                GridEvent.supervision_level,
                GridEvent.evaluation_rating,
                GridEvent.closed_at,
                GridEvent.created_at,
            )
            .outerjoin(Grid, Grid.id == GridEvent.grid_id)
            .where(GridEvent.community_id == community_id, GridEvent.created_at >= start, GridEvent.created_at < end)
            .order_by(GridEvent.created_at, GridEvent.id)
        )
        return self._stream(statement)

    def inspections(self, community_id: uuid.UUID, first: dt.date, last: dt.date) -> AsyncIterator[Row[Any]]:
        """The community's patrol visits from `first` to `last` (inclusive), oldest first."""
        statement = (
            select(
                Inspection.id,
                Grid.code,
                Inspection.building_id,
                Inspection.floor,
                Inspection.enterprise_id,
                Inspection.visited_on,
                Inspection.inspector_subject,
                func.jsonb_array_length(Inspection.findings).label("findings"),
                Inspection.notes,
            )
            .join(Grid, Grid.id == Inspection.grid_id)
            .where(
                Inspection.community_id == community_id,
                Inspection.visited_on >= first,
                Inspection.visited_on <= last,
            )
            .order_by(Inspection.visited_on, Inspection.id)
        )
        return self._stream(statement)
