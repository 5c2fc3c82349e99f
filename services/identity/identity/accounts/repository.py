"""Accounts' and grants' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from identity.accounts.models import Account, RoleGrant
from identity.database import platform_tables
from shared.outbox import record_event
from shared.uow import Repository


class AccountRepository(Repository):
    async def get(self, account_id: uuid.UUID) -> Account | None:
        return await self.session.get(Account, account_id)

    async def by_phone(self, phone: str) -> Account | None:
        return await self.session.scalar(select(Account).where(Account.phone == phone))

    async def for_phone(self, phone: str) -> uuid.UUID:
        """The account of a verified phone, created if there is none (of two at once, one creates)."""
        created: uuid.UUID | None = await self.session.scalar(
            insert(Account)
            .values(id=uuid.uuid4(), phone=phone)
            .on_conflict_do_nothing(index_elements=[Account.phone])
            .returning(Account.id)
        )
        if created is not None:
            return created
        found = await self.session.scalar(select(Account.id).where(Account.phone == phone))
        assert found is not None  # the conflicting row is committed: it exists
        return found

    async def add(self, account: Account) -> Account:
        self.session.add(account)
        await self.session.flush()
        return account

    async def set_status(self, account_id: uuid.UUID, status: str) -> Account | None:
        disabled_at = func.now() if status == "disabled" else None
        changed = await self.session.scalar(
            update(Account)
            .where(Account.id == account_id)
            .values(status=status, disabled_at=disabled_at, version=Account.version + 1, updated_at=func.now())
            .returning(Account)
            .execution_options(synchronize_session=False)
        )
        if changed is not None:
            await self.session.refresh(changed)
        return changed

    async def disabled_since(self, seconds: int) -> Sequence[uuid.UUID]:
        """Accounts disabled within the last `seconds` (their access tokens may still be alive)."""
        since = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)
        query = select(Account.id).where(Account.disabled_at.is_not(None), Account.disabled_at > since)
        return (await self.session.scalars(query)).all()

    async def live_grants(self, account_id: uuid.UUID) -> Sequence[RoleGrant]:
        query = (
            select(RoleGrant)
            .where(
                RoleGrant.account_id == account_id,
                RoleGrant.revoked_at.is_(None),
                or_(RoleGrant.valid_until.is_(None), RoleGrant.valid_until > func.now()),
            )
            .order_by(RoleGrant.created_at)
        )
        return (await self.session.scalars(query)).all()

    async def announce(self, event_type: str, account_id: uuid.UUID, payload: dict[str, Any]) -> None:
        """A domain event about the account on identity's feed, in this unit of work's transaction."""
        await record_event(self.session, platform_tables.outbox_event, event_type, "account", account_id, payload)

    async def add_grant(self, grant: RoleGrant) -> RoleGrant:
        self.session.add(grant)
        await self.session.flush()
        return grant
