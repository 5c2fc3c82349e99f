"""SQL for grid workers and duties."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select, update

from grid.workers.models import GridDuty, GridWorker
from shared.pagination import after_keyset
from shared.uow import Repository


class WorkerRepository(Repository):
    async def add(self, worker: GridWorker) -> GridWorker:
        self.session.add(worker)
        await self.session.flush()
        return worker

    async def get(self, worker_id: uuid.UUID) -> GridWorker | None:
        return await self.session.get(GridWorker, worker_id)

    async def by_subject(self, subject: str) -> GridWorker | None:
        return (
            await self.session.execute(select(GridWorker).where(GridWorker.user_subject == subject))
        ).scalar_one_or_none()

    async def subjects_on_duty(self, grid_id: uuid.UUID, day: dt.date) -> list[str]:
        """The platform subjects of the workers on duty in the grid on `day`, the primary first."""
        statement = (
            select(GridWorker.user_subject)
            .join(GridDuty, GridDuty.worker_id == GridWorker.id)
            .where(
                GridDuty.grid_id == grid_id,
                GridWorker.user_subject.is_not(None),
                GridDuty.valid_from <= day,
                or_(GridDuty.valid_to.is_(None), GridDuty.valid_to > day),
            )
            .order_by(GridDuty.role.desc(), GridWorker.id)  # 'primary' sorts after 'deputy'
        )
        return [subject for subject in (await self.session.scalars(statement)) if subject is not None]

    async def list_for_community(
        self, community_id: uuid.UUID, after: tuple[str, uuid.UUID] | None, limit: int
    ) -> Sequence[GridWorker]:
        statement = select(GridWorker).where(GridWorker.community_id == community_id)
        if after is not None:
            statement = statement.where(
                after_keyset(
                    [GridWorker.name.expression, GridWorker.id.expression],
                    [after[0], after[1]],
                    [False, False],
                )
            )
        return (await self.session.scalars(statement.order_by(GridWorker.name, GridWorker.id).limit(limit))).all()

    async def add_duty(self, duty: GridDuty) -> GridDuty:
        self.session.add(duty)
        await self.session.flush()
        return duty

    async def get_duty(self, duty_id: uuid.UUID) -> GridDuty | None:
        return await self.session.get(GridDuty, duty_id, with_for_update=True)

    async def duties(
        self, *, grid_id: uuid.UUID | None = None, worker_id: uuid.UUID | None = None, as_of: dt.date | None = None
    ) -> Sequence[GridDuty]:
        statement = select(GridDuty)
        if grid_id is not None:
            statement = statement.where(GridDuty.grid_id == grid_id)
        if worker_id is not None:
            statement = statement.where(GridDuty.worker_id == worker_id)
        if as_of is not None:
            statement = statement.where(
                GridDuty.valid_from <= as_of, or_(GridDuty.valid_to.is_(None), GridDuty.valid_to > as_of)
            )
        return (await self.session.scalars(statement.order_by(GridDuty.valid_from, GridDuty.role))).all()

    async def has_duty(self, grid_id: uuid.UUID, user_subject: str, today: dt.date) -> bool:
        """Whether the worker signed in as `user_subject` is on duty in the grid today or from a later day."""
        statement = (
            select(GridDuty.id)
            .join(GridWorker, GridWorker.id == GridDuty.worker_id)
            .where(
                GridDuty.grid_id == grid_id,
                GridWorker.user_subject == user_subject,
                or_(GridDuty.valid_to.is_(None), GridDuty.valid_to > today),
            )
        )
        return (await self.session.scalar(statement.limit(1))) is not None

    async def end_open_duties(self, grid_id: uuid.UUID, day: dt.date) -> None:
        await self.session.execute(
            update(GridDuty)
            .where(GridDuty.grid_id == grid_id, or_(GridDuty.valid_to.is_(None), GridDuty.valid_to > day))
            .where(GridDuty.valid_from < day)
            .values(valid_to=day)
        )
