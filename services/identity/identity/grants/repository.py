"""Grants', invitations', join requests' and the audit read's SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text, update

from identity.accounts.models import RoleGrant
from identity.grants.models import Invitation, JoinRequest
from shared.uow import Repository

INVITATION_FAILED = "invitation_redeem_failed"

# Of two concurrent redemptions of one code exactly one updates its row: the second waits for the
# first's row lock, re-reads `used_at` and matches nothing (READ COMMITTED's re-check).
_REDEEM = text(
    """
    UPDATE identity.invitation SET used_at = now(), used_by = :account_id
    WHERE code_sha256 = :digest AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > now()
    RETURNING id, enterprise_id, created_by
    """
)
# One account's redemptions run one at a time (a transaction-scoped advisory lock on the account),
# so the count of its failures in the last hour, committed on their own, is exact when read.
_LOCK_ACCOUNT = text("SELECT pg_advisory_xact_lock(hashtextextended('identity.invitation_redeem:' || :account, 0))")
_RECENT_FAILURES = text(
    """
    SELECT count(*) AS failures, min(at) AS oldest FROM identity.audit_record
    WHERE account_id = :account_id AND action = :action AND at > now() - interval '1 hour'
    """
)


class GrantRepository(Repository):
    async def get(self, account_id: uuid.UUID, grant_id: uuid.UUID) -> RoleGrant | None:
        """The account's grant (live or not); another account's grant id is None."""
        return await self.session.scalar(
            select(RoleGrant).where(RoleGrant.id == grant_id, RoleGrant.account_id == account_id)
        )

    async def revoke(self, account_id: uuid.UUID, grant_id: uuid.UUID, revoked_by: str) -> RoleGrant | None:
        """Revoke a live grant once; None when it is not live (already revoked, or another account's)."""
        return await self.session.scalar(
            update(RoleGrant)
            .where(RoleGrant.id == grant_id, RoleGrant.account_id == account_id, RoleGrant.revoked_at.is_(None))
            .values(revoked_at=func.now(), revoked_by=revoked_by)
            .returning(RoleGrant)
            .execution_options(synchronize_session=False)
        )


class InvitationRepository(Repository):
    async def add(self, invitation: Invitation) -> Invitation:
        self.session.add(invitation)
        await self.session.flush()
        await self.session.refresh(invitation)
        return invitation

    async def of_enterprise(self, enterprise_id: uuid.UUID, limit: int = 100) -> Sequence[Invitation]:
        query = (
            select(Invitation)
            .where(Invitation.enterprise_id == enterprise_id)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def get(self, enterprise_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation | None:
        return await self.session.scalar(
            select(Invitation).where(Invitation.id == invitation_id, Invitation.enterprise_id == enterprise_id)
        )

    async def cancel(self, enterprise_id: uuid.UUID, invitation_id: uuid.UUID) -> bool:
        """Cancel a code not yet used; whether one was."""
        cancelled = await self.session.scalar(
            update(Invitation)
            .where(
                Invitation.id == invitation_id,
                Invitation.enterprise_id == enterprise_id,
                Invitation.used_at.is_(None),
                Invitation.cancelled_at.is_(None),
            )
            .values(cancelled_at=func.now())
            .returning(Invitation.id)
        )
        return cancelled is not None

    async def lock_redemptions(self, account_id: uuid.UUID) -> tuple[int, dt.datetime | None]:
        """Serialise the account's redemptions (until the unit of work ends) and count its failures
        in the last hour: (how many, the oldest one's time)."""
        await self.session.execute(_LOCK_ACCOUNT, {"account": str(account_id)})
        row = (
            await self.session.execute(_RECENT_FAILURES, {"account_id": account_id, "action": INVITATION_FAILED})
        ).one()
        return int(row.failures), row.oldest

    async def redeem(self, digest: bytes, account_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID, str] | None:
        """Use the code if it is live: (invitation id, enterprise id, its creator), or None."""
        row = (await self.session.execute(_REDEEM, {"digest": digest, "account_id": account_id})).first()
        return None if row is None else (row.id, row.enterprise_id, row.created_by)


class JoinRequestRepository(Repository):
    async def add(self, request: JoinRequest) -> JoinRequest:
        self.session.add(request)
        await self.session.flush()
        await self.session.refresh(request)
        return request

    async def of_enterprise(
        self, enterprise_id: uuid.UUID, status: str | None, limit: int = 100
    ) -> Sequence[JoinRequest]:
        query = (
            select(JoinRequest)
            .where(JoinRequest.enterprise_id == enterprise_id)
            .order_by(JoinRequest.created_at.desc(), JoinRequest.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(JoinRequest.status == status)
        return (await self.session.scalars(query)).all()

    async def decide(
        self, enterprise_id: uuid.UUID, request_id: uuid.UUID, status: str, decided_by: str
    ) -> JoinRequest | None:
        """Move a pending request to `status` once; None when it is not pending (or not this enterprise's).
        Of an approval and a rejection at once, the second waits for the first's row lock and matches nothing."""
        return await self.session.scalar(
            update(JoinRequest)
            .where(
                JoinRequest.id == request_id,
                JoinRequest.enterprise_id == enterprise_id,
                JoinRequest.status == "pending",
            )
            .values(status=status, decided_at=func.now(), decided_by=decided_by)
            .returning(JoinRequest)
            .execution_options(synchronize_session=False)
        )
