"""SQL for hazards and their history."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import func, select, update

from grid.hazards.models import Hazard, HazardHistory
from grid.hazards.states import OPEN_STATUSES, OVERDUE_STATUSES
from shared.pagination import after_keyset
from shared.uow import Repository


class HazardRepository(Repository):
    async def add(self, hazard: Hazard, history: HazardHistory) -> Hazard:
        self.session.add(hazard)
        await self.session.flush()
        history.hazard_id = hazard.id
        self.session.add(history)
        await self.session.flush()
        return hazard

    async def get(self, hazard_id: uuid.UUID, *, for_update: bool = False) -> Hazard | None:
        statement = select(Hazard).where(Hazard.id == hazard_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def claim_overdue(self, today: dt.date, now: dt.datetime, limit: int = 500) -> Sequence[Hazard]:
        """Hazards overdue on `today` never noticed, marked noticed: each is claimed once.

        Rows another job holds are skipped, and `overdue_noticed_at IS NULL` is checked again on update.
        """
        due = (
            select(Hazard.id)
            .where(Hazard.status.in_(OVERDUE_STATUSES), Hazard.deadline < today, Hazard.overdue_noticed_at.is_(None))
            .order_by(Hazard.deadline, Hazard.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(Hazard)
            .where(Hazard.id.in_(due.scalar_subquery()), Hazard.overdue_noticed_at.is_(None))
            .values(overdue_noticed_at=now)
            .returning(Hazard)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.scalars(statement)).all()

    async def add_history(self, history: HazardHistory) -> None:
        self.session.add(history)
        await self.session.flush()

    async def history(self, hazard_id: uuid.UUID) -> Sequence[HazardHistory]:
        statement = (
            select(HazardHistory)
            .where(HazardHistory.hazard_id == hazard_id)
            .order_by(HazardHistory.created_at, HazardHistory.id)
        )
        return (await self.session.scalars(statement)).all()

    async def for_inspection(self, inspection_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        if not inspection_ids:
            return {}
        rows = await self.session.execute(
            select(Hazard.inspection_id, Hazard.id).where(Hazard.inspection_id.in_(inspection_ids))
        )
        found: dict[uuid.UUID, list[uuid.UUID]] = {}
        for inspection_id, hazard_id in rows:
            if inspection_id is not None:
                found.setdefault(inspection_id, []).append(hazard_id)
        return found

    async def list_filtered(
        self,
        *,
        community_id: uuid.UUID,
        grid_ids: Collection[uuid.UUID] | None,
        status: str | None,
        overdue_on: dt.date | None,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Hazard]:
        statement = select(Hazard).where(Hazard.community_id == community_id)
        if grid_ids is not None:
            statement = statement.where(Hazard.grid_id.in_(grid_ids))
        if status is not None:
            statement = statement.where(Hazard.status == status)
        if overdue_on is not None:
            statement = statement.where(Hazard.status.in_(OVERDUE_STATUSES), Hazard.deadline < overdue_on)
        if after is not None:
            statement = statement.where(
                after_keyset([Hazard.created_at.expression, Hazard.id.expression], list(after), [True, True])
            )
        order = (Hazard.created_at.desc(), Hazard.id.desc())
        return (await self.session.scalars(statement.order_by(*order).limit(limit))).all()

    async def open_by_level(self, grid_id: uuid.UUID) -> dict[str, int]:
        rows = await self.session.execute(
            select(Hazard.level, func.count())
            .where(Hazard.grid_id == grid_id, Hazard.status.in_(OPEN_STATUSES))
            .group_by(Hazard.level)
        )
        return {level: int(count) for level, count in rows}
