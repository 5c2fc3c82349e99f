"""SQL for attachments: the slot claim that holds the per-item limit, confirmation, the sweep."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert

from grid.attachments.models import Attachment
from shared.uow import Repository


class AttachmentRepository(Repository):
    async def claim_slot(self, values: dict[str, object], limit: int) -> Attachment | None:
        """Insert the row in the lowest free slot 1..`limit`; None when every slot is taken.

        Two uploads racing for one slot: the unique (item, slot) makes the loser's insert do
        nothing (after the winner commits), and it tries the next free slot with a new snapshot.
        """
        kind, item_id = values["item_kind"], values["item_id"]
        for _ in range(limit):
            taken = select(Attachment.slot).where(Attachment.item_kind == kind, Attachment.item_id == item_id)
            slots = func.generate_series(1, limit).table_valued("slot").render_derived(name="free")
            free = select(slots.c.slot).where(slots.c.slot.not_in(taken)).order_by(slots.c.slot).limit(1)
            row_id = uuid.uuid4()
            columns = ["id", *values, "slot"]
            column = Attachment.__table__.c
            bound = (literal(value, type_=column[name].type) for name, value in values.items())
            source = select(literal(row_id, type_=column["id"].type), *bound, free.scalar_subquery())
            statement = (
                insert(Attachment)
                .from_select(columns, source.where(free.exists()))
                .on_conflict_do_nothing(index_elements=["item_kind", "item_id", "slot"])
                .returning(Attachment.id)
            )
            inserted = (await self.session.execute(statement)).scalar_one_or_none()
            if inserted is not None:
                return await self.get(inserted)
            used = await self.session.scalar(select(func.count()).select_from(taken.subquery()))
            if (used or 0) >= limit:
                return None
        return None

    async def get(self, attachment_id: uuid.UUID, *, for_update: bool = False) -> Attachment | None:
        statement = select(Attachment).where(Attachment.id == attachment_id).execution_options(populate_existing=True)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def confirmed_of(self, kind: str, item_id: uuid.UUID, stage: str | None) -> Sequence[Attachment]:
        statement = select(Attachment).where(
            Attachment.item_kind == kind, Attachment.item_id == item_id, Attachment.status == "confirmed"
        )
        if stage is not None:
            statement = statement.where(Attachment.stage == stage)
        return (await self.session.scalars(statement.order_by(Attachment.confirmed_at, Attachment.id))).all()

    async def mark_confirmed(self, attachment_id: uuid.UUID, values: dict[str, object]) -> Attachment | None:
        """Pending → confirmed once: a second confirmation updates nothing."""
        statement = (
            update(Attachment)
            .where(Attachment.id == attachment_id, Attachment.status == "pending")
            .values(status="confirmed", **values)
            .returning(Attachment)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def remove(self, attachment_id: uuid.UUID) -> None:
        await self.session.execute(delete(Attachment).where(Attachment.id == attachment_id))

    async def claim_expired(self, before: dt.datetime, limit: int = 200) -> Sequence[Attachment]:
        """Pending uploads whose target expired before `before`, deleted (rows another pass holds are skipped)."""
        due = (
            select(Attachment.id)
            .where(Attachment.status == "pending", Attachment.expires_at < before)
            .order_by(Attachment.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            delete(Attachment)
            .where(Attachment.id.in_(due.scalar_subquery()), Attachment.status == "pending")
            .returning(Attachment)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.scalars(statement)).all()
