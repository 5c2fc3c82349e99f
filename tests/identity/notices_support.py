"""Accounts, grants and WeChat identities written straight into the identity schema, for the notices tests."""

from __future__ import annotations

import uuid

from shared.auth import Identity, Role
from tests.identity.grants_support import sql
from tests.support.identities import auth

SERVICE = {"Accept-Language": "en"} | auth(Identity(subject="notifications", roles=frozenset({Role.service})))
FAKE_APPID = "wx00000000fakeapp"  # identity's default appid, the fake WeChat's too


async def account(database_url: str, *, phone: str | None = None, status: str = "active") -> uuid.UUID:
    account_id = uuid.uuid4()
    await sql(
        database_url,
        "INSERT INTO identity.account (id, phone, status, disabled_at)"
        " VALUES ($1, $2, $3::varchar, CASE WHEN $3::varchar = 'disabled' THEN now() END)",
        account_id,
        phone,
        status,
    )
    return account_id


async def grant(
    database_url: str, account_id: uuid.UUID, role: str, *, state: str = "live", **scope: uuid.UUID
) -> None:
    """A grant of `role` in `scope` (enterprise_id=..., community_id=..., grid_id=...): live, revoked,
    expired, or live until tomorrow (`expiring`)."""
    revoked = "now()" if state == "revoked" else "NULL"
    until = {"expired": "now() - interval '1 second'", "expiring": "now() + interval '1 day'"}.get(state, "NULL")
    await sql(
        database_url,
        "INSERT INTO identity.role_grant (id, account_id, role, community_id, grid_id, enterprise_id, source,"
        f" granted_by, valid_until, revoked_at) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'api', 'test',"
        f" {until}, {revoked})",
        account_id,
        role,
        scope.get("community_id"),
        scope.get("grid_id"),
        scope.get("enterprise_id"),
    )


async def wechat_identity(database_url: str, account_id: uuid.UUID, openid: str, appid: str = FAKE_APPID) -> None:
    await sql(
        database_url,
        "INSERT INTO identity.wechat_identity (appid, openid, account_id, session_key_sealed) VALUES ($1, $2, $3, '')",
        appid,
        openid,
        account_id,
    )


async def in_community(database_url: str, enterprise_id: uuid.UUID, community_id: uuid.UUID) -> None:
    await sql(
        database_url,
        "INSERT INTO identity.enterprise_community (enterprise_id, community_id) VALUES ($1, $2)",
        enterprise_id,
        community_id,
    )
