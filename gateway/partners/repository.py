"""SQL of the partners domain."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select, update

from gateway.partners.models import ApiKey, Partner
from shared.db import utcnow
from shared.pagination import after_keyset
from shared.uow import Repository


class PartnerRepository(Repository):
    """SQL of partners and their API keys."""

    async def add_partner(self, partner: Partner) -> Partner:
        self.session.add(partner)
        await self.session.flush()
        return partner

    async def get_partner(self, partner_id: uuid.UUID, *, lock: bool = False) -> Partner | None:
        query = select(Partner).where(Partner.id == partner_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list_partners(self, limit: int, after: tuple[dt.datetime, uuid.UUID] | None) -> Sequence[Partner]:
        query = select(Partner).order_by(Partner.created_at, Partner.id).limit(limit)
        if after is not None:
            query = query.where(
                after_keyset([Partner.created_at.expression, Partner.id.expression], after, [False, False])
            )
        return (await self.session.execute(query)).scalars().all()

    async def active_keys(self, partner_ids: Sequence[uuid.UUID]) -> Sequence[ApiKey]:
        query = (
            select(ApiKey)
            .where(ApiKey.partner_id.in_(partner_ids), ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.created_at, ApiKey.key_id)
        )
        return (await self.session.execute(query)).scalars().all()

    async def add_key(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        await self.session.flush()
        await self.session.refresh(key, ["created_at"])
        return key

    async def revoke_key(self, partner_id: uuid.UUID, key_id: str) -> ApiKey | None:
        revoked = await self.session.execute(
            update(ApiKey)
            .where(ApiKey.partner_id == partner_id, ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .returning(ApiKey)
        )
        return revoked.scalar_one_or_none()

    async def find_active_key(self, key_id: str) -> tuple[ApiKey, Partner] | None:
        """The key with its partner, when it exists and is not revoked (the authentication path)."""
        row = (
            await self.session.execute(
                select(ApiKey, Partner)
                .join(Partner, Partner.id == ApiKey.partner_id)
                .where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
            )
        ).first()
        return (row[0], row[1]) if row is not None else None
