"""The signing keys' SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select, text, update

from identity.keys.models import SigningKey
from shared.uow import Repository


class SigningKeyRepository(Repository):
    async def lock(self) -> None:
        """Serialise key changes across replicas and the CLI until this transaction ends."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('identity:signing-keys'))"))

    async def active(self) -> SigningKey | None:
        return await self.session.scalar(select(SigningKey).where(SigningKey.retired_at.is_(None)))

    async def by_kid(self, kid: str) -> SigningKey | None:
        return await self.session.get(SigningKey, kid)

    async def published(self) -> Sequence[SigningKey]:
        """The active key and the retired ones whose tokens may still be alive, newest first."""
        query = (
            select(SigningKey)
            .where(or_(SigningKey.retired_at.is_(None), SigningKey.verify_until > func.now()))
            .order_by(SigningKey.created_at.desc())
        )
        return (await self.session.scalars(query)).all()

    async def retire_active(self, verify_for: dt.timedelta) -> str | None:
        """Stop the active key signing; it verifies for `verify_for` more. Returns its kid."""
        retired = await self.session.scalar(
            update(SigningKey)
            .where(SigningKey.retired_at.is_(None))
            .values(retired_at=func.now(), verify_until=func.now() + verify_for)
            .returning(SigningKey.kid)
        )
        return retired

    async def add(self, key: SigningKey) -> None:
        self.session.add(key)
        await self.session.flush()
