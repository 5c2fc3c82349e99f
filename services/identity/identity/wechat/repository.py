"""WeChat identities' and the shared access token's SQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import asyncpg
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from identity.accounts.models import Account
from identity.wechat.models import WeChatIdentity
from shared.uow import Repository


class WeChatRepository(Repository):
    async def account_of(self, appid: str, openid: str) -> uuid.UUID | None:
        query = select(WeChatIdentity.account_id).where(WeChatIdentity.appid == appid, WeChatIdentity.openid == openid)
        found: uuid.UUID | None = await self.session.scalar(query)
        return found

    async def account_of_union(self, unionid: str) -> uuid.UUID | None:
        query = select(WeChatIdentity.account_id).where(WeChatIdentity.unionid == unionid).limit(1)
        found: uuid.UUID | None = await self.session.scalar(query)
        return found

    async def new_account(self) -> uuid.UUID:
        account_id = uuid.uuid4()
        self.session.add(Account(id=account_id))
        await self.session.flush()
        return account_id

    async def drop_account(self, account_id: uuid.UUID) -> None:
        await self.session.execute(delete(Account).where(Account.id == account_id))

    async def link(
        self, appid: str, openid: str, unionid: str | None, account_id: uuid.UUID, sealed_key: bytes
    ) -> bool:
        """Link (appid, openid) to the account; False when a concurrent first login linked it first."""
        linked = await self.session.scalar(
            insert(WeChatIdentity)
            .values(appid=appid, openid=openid, unionid=unionid, account_id=account_id, session_key_sealed=sealed_key)
            .on_conflict_do_nothing(index_elements=[WeChatIdentity.appid, WeChatIdentity.openid])
            .returning(WeChatIdentity.account_id)
        )
        return linked is not None

    async def remember_login(self, appid: str, openid: str, unionid: str | None, sealed_key: bytes) -> None:
        values: dict[str, object] = {"session_key_sealed": sealed_key, "updated_at": func.now()}
        if unionid is not None:
            values["unionid"] = unionid
        await self.session.execute(
            update(WeChatIdentity)
            .where(WeChatIdentity.appid == appid, WeChatIdentity.openid == openid)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def bind_phone(self, account_id: uuid.UUID, phone: str) -> None:
        """The account's verified phone (`uq_account_phone` decides between two accounts: 409)."""
        await self.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(phone=phone, version=Account.version + 1, updated_at=func.now())
            .execution_options(synchronize_session=False)
        )
        await self.session.flush()


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def read_token(connection: asyncpg.Connection, appid: str) -> asyncpg.Record | None:
    """The stored token if it is not due for refresh."""
    row: asyncpg.Record | None = await connection.fetchrow(
        "SELECT token_sealed FROM identity.wechat_access_token WHERE appid = $1 AND refresh_at > now()", appid
    )
    return row


async def store_token(
    connection: asyncpg.Connection, appid: str, sealed: bytes, digest: bytes, expires_in: int, margin: float
) -> dt.datetime:
    """Keep the new token; when to refresh it (`margin` seconds before it expires)."""
    refresh_at: dt.datetime = await connection.fetchval(
        "INSERT INTO identity.wechat_access_token (appid, token_sealed, token_sha256, expires_at, refresh_at)"
        " VALUES ($1, $2, $3, now() + make_interval(secs => $4), now() + make_interval(secs => $4 - $5))"
        " ON CONFLICT (appid) DO UPDATE SET token_sealed = excluded.token_sealed,"
        " token_sha256 = excluded.token_sha256, expires_at = excluded.expires_at, refresh_at = excluded.refresh_at"
        " RETURNING refresh_at",
        appid,
        sealed,
        digest,
        float(expires_in),
        margin,
    )
    return refresh_at
