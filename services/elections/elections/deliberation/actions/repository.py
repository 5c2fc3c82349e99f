"""All SQL of accountability actions and their progress updates."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from elections.deliberation.actions.models import Action, ActionUpdate
from shared.pagination import after_keyset
from shared.uow import Repository


class ActionRepository(Repository):
    def add(self, instance: object) -> None:
        self.session.add(instance)

    async def get(self, committee_id: uuid.UUID, action_id: uuid.UUID, *, for_update: bool = False) -> Action | None:
        query = select(Action).where(Action.id == action_id, Action.committee_id == committee_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(self, committee_id: uuid.UUID, after: tuple[Any, ...] | None, limit: int) -> Sequence[Action]:
        query = (
            select(Action).where(Action.committee_id == committee_id).order_by(Action.due_on, Action.id).limit(limit)
        )
        if after is not None:
            query = query.where(after_keyset([Action.__table__.c.due_on, Action.__table__.c.id], after, [False, False]))
        return (await self.session.execute(query)).scalars().all()

    async def updates(self, action_ids: Sequence[uuid.UUID]) -> Sequence[ActionUpdate]:
        query = select(ActionUpdate).where(ActionUpdate.action_id.in_(action_ids))
        return (await self.session.execute(query.order_by(ActionUpdate.created_at, ActionUpdate.id))).scalars().all()

    async def escalate_overdue(self, today: dt.date, now: dt.datetime) -> list[Action]:
        """Actions past due and not done, each escalated once (the conditional update)."""
        escalated = await self.session.execute(
            update(Action)
            .where(Action.due_on < today, Action.status != "done", Action.escalated_at.is_(None))
            .values(escalated_at=now, version=Action.version + 1)
            .returning(Action)
            .execution_options(synchronize_session=False)
        )
        return list(escalated.scalars().all())
