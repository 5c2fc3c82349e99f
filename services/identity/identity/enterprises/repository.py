"""The enterprise-community copy's SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from identity.enterprises.models import EnterpriseCommunity
from shared.uow import Repository


class EnterpriseCommunityRepository(Repository):
    async def replace(self, enterprise_id: uuid.UUID, community_ids: Iterable[uuid.UUID]) -> None:
        """The enterprise's communities are exactly these now."""
        wanted = set(community_ids)
        await self.session.execute(
            delete(EnterpriseCommunity).where(
                EnterpriseCommunity.enterprise_id == enterprise_id, EnterpriseCommunity.community_id.not_in(wanted)
            )
        )
        if wanted:
            await self.session.execute(
                insert(EnterpriseCommunity)
                .values([{"enterprise_id": enterprise_id, "community_id": c} for c in wanted])
                .on_conflict_do_nothing()
            )

    async def of(self, enterprise_ids: Iterable[uuid.UUID]) -> Sequence[uuid.UUID]:
        ids = list(enterprise_ids)
        if not ids:
            return []
        query = select(EnterpriseCommunity.community_id).where(EnterpriseCommunity.enterprise_id.in_(ids))
        return (await self.session.scalars(query)).all()
