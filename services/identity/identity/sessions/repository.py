"""Sessions' and refresh tokens' SQL; a refresh is one statement around a conditional UPDATE."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import func, select, update

from identity.sessions.models import RefreshToken, Session
from shared.uow import Repository

# Exactly one of two concurrent claims of a token updates its row: the second waits for the first's
# row lock, re-reads `used_at` and matches nothing (PostgreSQL's READ COMMITTED re-check).
# The whole refresh is one autocommitted statement (the hot path: a 9 am wave of refreshes): the
# claim above, the replacement token, the session's last use, and what the new access token needs
# (the account's live grants, its enterprise's communities, the active signing key's kid).
# Data-modifying CTEs run once and to completion, read or not.
_REFRESH = """
WITH claimed AS (
    UPDATE identity.refresh_token AS rt SET used_at = now()
    FROM identity.session AS s JOIN identity.account AS a ON a.id = s.account_id
    WHERE rt.token_sha256 = $1 AND rt.used_at IS NULL AND rt.expires_at > now()
      AND s.id = rt.session_id AND s.revoked_at IS NULL AND a.status = 'active'
    RETURNING rt.session_id, s.account_id, a.display_name
), replaced AS (
    INSERT INTO identity.refresh_token (id, session_id, token_sha256, expires_at)
    SELECT $2, session_id, $3, now() + make_interval(days => $4) FROM claimed
), touched AS (
    UPDATE identity.session SET last_used_at = now() WHERE id = (SELECT session_id FROM claimed)
), grants AS (
    SELECT g.role, g.community_id, g.grid_id, g.enterprise_id, g.election_id, g.created_at
    FROM identity.role_grant AS g
    WHERE g.account_id = (SELECT account_id FROM claimed) AND g.revoked_at IS NULL
      AND (g.valid_until IS NULL OR g.valid_until > now())
)
SELECT c.session_id, c.account_id, c.display_name,
       (SELECT coalesce(jsonb_agg(jsonb_build_array(role, community_id, grid_id, enterprise_id, election_id)
                                  ORDER BY created_at), '[]'::jsonb) FROM grants) AS grants,
       (SELECT coalesce(array_agg(ec.community_id), '{}') FROM identity.enterprise_community AS ec
         WHERE ec.enterprise_id = (SELECT enterprise_id FROM grants WHERE role IN ('enterprise_rep', 'employee')
                                    ORDER BY role = 'enterprise_rep' DESC, created_at LIMIT 1)) AS communities,
       (SELECT kid FROM identity.signing_key WHERE retired_at IS NULL) AS kid
FROM claimed AS c
"""


@dataclass(frozen=True, slots=True)
class GrantScope:
    """A live grant's role and scope, as the token needs them."""

    role: str
    community_id: uuid.UUID | None
    grid_id: uuid.UUID | None
    enterprise_id: uuid.UUID | None
    election_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Refreshed:
    session_id: uuid.UUID
    account_id: uuid.UUID
    display_name: str | None
    grants: list[GrantScope]
    communities: list[uuid.UUID]
    kid: str | None


def _json(value: str | list[list[str | None]]) -> list[list[str | None]]:
    """jsonb as the connection gives it: text (asyncpg's default) or decoded (a codec)."""
    return orjson.loads(value) if isinstance(value, str) else value


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


class SessionRepository(Repository):
    async def refresh(self, digest: bytes, new_digest: bytes, lifetime_days: int) -> Refreshed | None:
        """Use the token (if live) and store its replacement, in one statement; None if not live."""
        async with self.hot() as connection:
            row = await connection.fetchrow(_REFRESH, digest, uuid.uuid4(), new_digest, lifetime_days)
        if row is None:
            return None
        grants = [
            GrantScope(str(role), _uuid(community), _uuid(grid), _uuid(enterprise), _uuid(election))
            for role, community, grid, enterprise, election in _json(row["grants"])
        ]
        return Refreshed(
            row["session_id"], row["account_id"], row["display_name"], grants, list(row["communities"]), row["kid"]
        )

    async def start(self, account_id: uuid.UUID, method: str, ip: str | None, user_agent: str | None) -> Session:
        session = Session(id=uuid.uuid4(), account_id=account_id, method=method, source_ip=ip, user_agent=user_agent)
        self.session.add(session)
        await self.session.flush()
        return session

    async def add_token(self, session_id: uuid.UUID, digest: bytes, expires_at: dt.datetime) -> None:
        self.session.add(RefreshToken(session_id=session_id, token_sha256=digest, expires_at=expires_at))
        await self.session.flush()

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
