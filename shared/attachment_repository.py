"""The SQL every service's attachment table needs: the slot claim that holds the per-item limit,
confirmation once, removal, and the sweep of expired uploads.

A service's table has the columns of `grid.attachment` (slot, status, expires_at, confirmed_at, ...)
and a unique constraint on its item columns plus `slot`; its repository subclasses this one naming
the model and those item columns (`scope`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.uow import Repository


class AttachmentRepositoryBase(Repository):
    model: ClassVar[Any]
    scope: ClassVar[tuple[str, ...]]  # the columns naming the item, in the unique (scope..., slot)

    def _of_item(self, values: dict[str, object]) -> list[Any]:
        return [getattr(self.model, name) == values[name] for name in self.scope]

    async def claim_slot(self, values: dict[str, object], limit: int) -> Any | None:
        """Insert the row in the lowest free slot 1..`limit`; None when every slot is taken.

        Two uploads racing for one slot: the unique (item, slot) makes the loser's insert do
        nothing (after the winner commits), and it tries the next free slot with a new snapshot.
        """
        model = self.model
        column = model.__table__.c
        taken = select(model.slot).where(*self._of_item(values))
        for _ in range(limit):
            slots = func.generate_series(1, limit).table_valued("slot").render_derived(name="free")
            free = select(slots.c.slot).where(slots.c.slot.not_in(taken)).order_by(slots.c.slot).limit(1)
            row_id = uuid.uuid4()
            bound = (literal(value, type_=column[name].type) for name, value in values.items())
            source = select(literal(row_id, type_=column["id"].type), *bound, free.scalar_subquery())
            statement = (
                insert(model)
                .from_select(["id", *values, "slot"], source.where(free.exists()))
                .on_conflict_do_nothing(index_elements=[*self.scope, "slot"])
                .returning(model.id)
            )
            inserted = (await self.session.execute(statement)).scalar_one_or_none()
            if inserted is not None:
                return await self.get(inserted)
            used = await self.session.scalar(select(func.count()).select_from(taken.subquery()))
            if (used or 0) >= limit:
                return None
        return None

    async def get(self, attachment_id: uuid.UUID, *, for_update: bool = False) -> Any | None:
        model = self.model
        statement = select(model).where(model.id == attachment_id).execution_options(populate_existing=True)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def confirmed_of(self, item: dict[str, object], **equal: object) -> Sequence[Any]:
        """The item's confirmed files, oldest first (`equal`: more column filters, None ones skipped)."""
        model = self.model
        statement = select(model).where(*self._of_item(item), model.status == "confirmed")
        for name, value in equal.items():
            if value is not None:
                statement = statement.where(getattr(model, name) == value)
        return (await self.session.scalars(statement.order_by(model.confirmed_at, model.id))).all()

    async def mark_confirmed(self, attachment_id: uuid.UUID, values: dict[str, object]) -> Any | None:
        """Pending → confirmed once: a second confirmation updates nothing."""
        model = self.model
        statement = (
            update(model)
            .where(model.id == attachment_id, model.status == "pending")
            .values(status="confirmed", **values)
            .returning(model)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def remove(self, attachment_id: uuid.UUID) -> None:
        await self.session.execute(delete(self.model).where(self.model.id == attachment_id))

    async def claim_expired(self, before: dt.datetime, limit: int = 200) -> Sequence[Any]:
        """Pending uploads whose target expired before `before`, deleted (rows another pass holds are skipped)."""
        model = self.model
        due = (
            select(model.id)
            .where(model.status == "pending", model.expires_at < before)
            .order_by(model.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            delete(model)
            .where(model.id.in_(due.scalar_subquery()), model.status == "pending")
            .returning(model)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.scalars(statement)).all()
