"""SQL for grid events and their history."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import func, select

from grid.events.models import GridEvent, GridEventHistory
from grid.events.transitions import LATE_STATUSES
from shared.pagination import after_keyset
from shared.uow import Repository


class EventRepository(Repository):
    async def add(self, event: GridEvent) -> GridEvent:
        self.session.add(event)
        await self.session.flush()
        return event

    async def get(self, event_id: uuid.UUID, *, for_update: bool = False) -> GridEvent | None:
        statement = select(GridEvent).where(GridEvent.id == event_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def add_history(self, history: GridEventHistory) -> None:
        self.session.add(history)
        await self.session.flush()

    async def history(self, event_id: uuid.UUID) -> Sequence[GridEventHistory]:
        statement = (
            select(GridEventHistory)
            .where(GridEventHistory.event_id == event_id)
            .order_by(GridEventHistory.created_at, GridEventHistory.id)
        )
        return (await self.session.scalars(statement)).all()

    async def list_filtered(
        self,
        *,
        community_id: uuid.UUID,
        grid_ids: Collection[uuid.UUID] | None,
        status: str | None,
        overdue_at: dt.datetime | None,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[GridEvent]:
        statement = select(GridEvent).where(GridEvent.community_id == community_id)
        if grid_ids is not None:
            statement = statement.where(GridEvent.grid_id.in_(grid_ids))
        if status is not None:
            statement = statement.where(GridEvent.status == status)
        if overdue_at is not None:
            statement = statement.where(GridEvent.status.in_(LATE_STATUSES), GridEvent.deadline < overdue_at)
        if after is not None:
            statement = statement.where(
                after_keyset([GridEvent.created_at.expression, GridEvent.id.expression], list(after), [True, True])
            )
        order = (GridEvent.created_at.desc(), GridEvent.id.desc())
        return (await self.session.scalars(statement.order_by(*order).limit(limit))).all()

    async def late_for_update(self, now: dt.datetime, limit: int = 500) -> Sequence[GridEvent]:
        """Open events past their deadline whose level may still rise; rows others hold are skipped."""
        statement = (
            select(GridEvent)
            .where(
                GridEvent.status.in_(LATE_STATUSES),
                GridEvent.deadline < now,
                GridEvent.supervision_level != "red",
            )
            .order_by(GridEvent.deadline)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    async def overdue_count(self, grid_id: uuid.UUID, now: dt.datetime) -> int:
        statement = select(func.count()).where(
            GridEvent.grid_id == grid_id, GridEvent.status.in_(LATE_STATUSES), GridEvent.deadline < now
        )
        return int((await self.session.execute(statement)).scalar_one())
