"""All SQL of proposals and their supports."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from elections.deliberation.proposals.models import Proposal, ProposalSupport
from shared.pagination import after_keyset
from shared.uow import Repository


def like_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, its wildcards escaped."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class ProposalRepository(Repository):
    def add(self, instance: object) -> None:
        self.session.add(instance)

    async def get(self, proposal_id: uuid.UUID, *, for_update: bool = False) -> Proposal | None:
        query = select(Proposal).where(Proposal.id == proposal_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_many(self, ids: Sequence[uuid.UUID]) -> list[Proposal]:
        query = select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.id).with_for_update()
        return list((await self.session.execute(query)).scalars().all())

    async def page(
        self,
        communities: list[uuid.UUID] | None,
        filters: dict[str, Any],
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> Sequence[Proposal]:
        query = select(Proposal).order_by(Proposal.created_at.desc(), Proposal.id.desc()).limit(limit)
        if communities is not None:
            query = query.where(Proposal.community_id.in_(communities))
        for name in ("status", "category"):
            if filters.get(name) is not None:
                query = query.where(getattr(Proposal, name) == filters[name])
        if filters.get("q"):
            pattern = like_pattern(filters["q"])
            query = query.where(
                or_(Proposal.title.ilike(pattern, escape="\\"), Proposal.body.ilike(pattern, escape="\\"))
            )
        if after is not None:
            query = query.where(
                after_keyset([Proposal.__table__.c.created_at, Proposal.__table__.c.id], after, [True, True])
            )
        return (await self.session.execute(query)).scalars().all()

    async def add_support(self, proposal_id: uuid.UUID, kind: str, key: str, subject: str) -> bool:
        """False when this enterprise or person already supports it (the primary key)."""
        inserted = await self.session.execute(
            pg_insert(ProposalSupport)
            .values(proposal_id=proposal_id, supporter_kind=kind, supporter_key=key, subject=subject)
            .on_conflict_do_nothing(index_elements=["proposal_id", "supporter_kind", "supporter_key"])
            .returning(ProposalSupport.proposal_id)
        )
        return inserted.first() is not None

    async def move_supports(self, source: uuid.UUID, target: uuid.UUID) -> int:
        """Copy the duplicate's supports to the target (one per supporter still), return the target's count."""
        moved = select(
            literal(target, ProposalSupport.proposal_id.type),
            ProposalSupport.supporter_kind,
            ProposalSupport.supporter_key,
            ProposalSupport.subject,
            ProposalSupport.created_at,
        ).where(ProposalSupport.proposal_id == source)
        await self.session.execute(
            pg_insert(ProposalSupport)
            .from_select(["proposal_id", "supporter_kind", "supporter_key", "subject", "created_at"], moved)
            .on_conflict_do_nothing()
        )
        return await self.support_count(target)

    async def support_count(self, proposal_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(ProposalSupport).where(ProposalSupport.proposal_id == proposal_id)
        return int(await self.session.scalar(query) or 0)
