"""All SQL of meetings: agenda items, attendance, named votes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from elections.deliberation.actions.models import Action
from elections.deliberation.meetings.models import Attendance, CommitteeVote, Meeting, MeetingItem
from elections.deliberation.proposals.repository import like_pattern
from shared.pagination import after_keyset
from shared.uow import Repository


class MeetingRepository(Repository):
    def add(self, instance: object) -> None:
        self.session.add(instance)

    def add_all(self, instances: Sequence[object]) -> None:
        self.session.add_all(instances)

    async def get(self, meeting_id: uuid.UUID, *, for_update: bool = False) -> Meeting | None:
        query = select(Meeting).where(Meeting.id == meeting_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self,
        communities: list[uuid.UUID] | None,
        committee_id: uuid.UUID | None,
        q: str | None,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> Sequence[Meeting]:
        query = select(Meeting).order_by(Meeting.scheduled_at.desc(), Meeting.id.desc()).limit(limit)
        if communities is not None:
            query = query.where(Meeting.community_id.in_(communities))
        if committee_id is not None:
            query = query.where(Meeting.committee_id == committee_id)
        if q:
            query = query.where(Meeting.title.ilike(like_pattern(q), escape="\\"))
        if after is not None:
            query = query.where(
                after_keyset([Meeting.__table__.c.scheduled_at, Meeting.__table__.c.id], after, [True, True])
            )
        return (await self.session.execute(query)).scalars().all()

    async def items(self, meeting_id: uuid.UUID) -> Sequence[MeetingItem]:
        query = select(MeetingItem).where(MeetingItem.meeting_id == meeting_id).order_by(MeetingItem.position)
        return (await self.session.execute(query)).scalars().all()

    async def item(self, meeting_id: uuid.UUID, item_id: uuid.UUID, *, for_update: bool = False) -> MeetingItem | None:
        query = select(MeetingItem).where(MeetingItem.id == item_id, MeetingItem.meeting_id == meeting_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def present_seats(self, meeting_id: uuid.UUID) -> list[int]:
        query = select(Attendance.seat_no).where(Attendance.meeting_id == meeting_id).order_by(Attendance.seat_no)
        return list((await self.session.scalars(query)).all())

    async def mark_present(self, meeting_id: uuid.UUID, seats: Sequence[int]) -> None:
        await self.session.execute(
            pg_insert(Attendance)
            .values([{"meeting_id": meeting_id, "seat_no": seat} for seat in seats])
            .on_conflict_do_nothing()
        )

    async def add_vote(self, item_id: uuid.UUID, seat_no: int, choice: str, subject: str) -> bool:
        """False when this seat already voted on the item (the primary key)."""
        inserted = await self.session.execute(
            pg_insert(CommitteeVote)
            .values(item_id=item_id, seat_no=seat_no, choice=choice, voter_subject=subject)
            .on_conflict_do_nothing(index_elements=["item_id", "seat_no"])
            .returning(CommitteeVote.seat_no)
        )
        return inserted.first() is not None

    async def votes(self, item_ids: Sequence[uuid.UUID]) -> Sequence[CommitteeVote]:
        query = select(CommitteeVote).where(CommitteeVote.item_id.in_(item_ids))
        return (
            (await self.session.execute(query.order_by(CommitteeVote.item_id, CommitteeVote.seat_no))).scalars().all()
        )

    async def votes_for(self, item_id: uuid.UUID) -> int:
        query = select(func.count()).where(CommitteeVote.item_id == item_id, CommitteeVote.choice == "for")
        return int(await self.session.scalar(query) or 0)

    async def actions_of(self, item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        rows = await self.session.execute(select(Action.item_id, Action.id).where(Action.item_id.in_(item_ids)))
        return {row.item_id: row.id for row in rows}
