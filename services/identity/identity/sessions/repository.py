"""Sessions' and refresh tokens' SQL; the claim of a refresh token is one conditional UPDATE."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text, update

from identity.sessions.models import RefreshToken, Session
from shared.uow import Repository

# Exactly one of two concurrent claims of a token updates its row: the second waits for the first's
# row lock, re-reads `used_at` and matches nothing (PostgreSQL's READ COMMITTED re-check).
_CLAIM = text(
    """
    UPDATE identity.refresh_token AS rt SET used_at = now()
    FROM identity.session AS s JOIN identity.account AS a ON a.id = s.account_id
    WHERE rt.token_sha256 = :digest AND rt.used_at IS NULL AND rt.expires_at > now()
      AND s.id = rt.session_id AND s.revoked_at IS NULL AND a.status = 'active'
    RETURNING rt.session_id, s.account_id
    """
)


class SessionRepository(Repository):
    async def start(self, account_id: uuid.UUID, method: str, ip: str | None, user_agent: str | None) -> Session:
        session = Session(id=uuid.uuid4(), account_id=account_id, method=method, source_ip=ip, user_agent=user_agent)
        self.session.add(session)
        await self.session.flush()
        return session

    async def add_token(self, session_id: uuid.UUID, digest: bytes, expires_at: dt.datetime) -> None:
        self.session.add(RefreshToken(session_id=session_id, token_sha256=digest, expires_at=expires_at))
        await self.session.flush()

    async def claim(self, digest: bytes) -> tuple[uuid.UUID, uuid.UUID] | None:
        """Mark the token used if it is live; its (session id, account id), or None."""
        row = (await self.session.execute(_CLAIM, {"digest": digest})).first()
        return None if row is None else (row[0], row[1])

    async def find_token(self, digest: bytes) -> RefreshToken | None:
        return await self.session.scalar(select(RefreshToken).where(RefreshToken.token_sha256 == digest))

    async def revoke_now(self, session_id: uuid.UUID, reason: str) -> uuid.UUID | None:
        """Revoke a family on its own statement (it must stay revoked although the request fails)."""
        async with self.hot() as connection:
            account_id: uuid.UUID | None = await connection.fetchval(
                "UPDATE identity.session SET revoked_at = now(), revoke_reason = $2"
                " WHERE id = $1 AND revoked_at IS NULL RETURNING account_id",
                session_id,
                reason,
            )
        return account_id

    async def touch(self, session_id: uuid.UUID) -> None:
        await self.session.execute(update(Session).where(Session.id == session_id).values(last_used_at=func.now()))

    async def live_of(self, account_id: uuid.UUID) -> Sequence[Session]:
        query = (
            select(Session)
            .where(Session.account_id == account_id, Session.revoked_at.is_(None))
            .order_by(Session.last_used_at.desc())
            .limit(100)
        )
        return (await self.session.scalars(query)).all()

    async def revoke(self, session_id: uuid.UUID, reason: str, *, account_id: uuid.UUID | None = None) -> bool:
        """Revoke one live session (of `account_id` when given); whether one was."""
        statement = update(Session).where(Session.id == session_id, Session.revoked_at.is_(None))
        if account_id is not None:
            statement = statement.where(Session.account_id == account_id)
        revoked = await self.session.scalar(
            statement.values(revoked_at=func.now(), revoke_reason=reason).returning(Session.id)
        )
        return revoked is not None

    async def revoke_all(self, account_id: uuid.UUID, reason: str) -> int:
        revoked = await self.session.scalars(
            update(Session)
            .where(Session.account_id == account_id, Session.revoked_at.is_(None))
            .values(revoked_at=func.now(), revoke_reason=reason)
            .returning(Session.id)
        )
        return len(revoked.all())
