"""Recipients and contact points of accounts: the notifications service's SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Select, Uuid, any_, bindparam, exists, func, or_, select, true

from identity.accounts.models import Account, RoleGrant
from identity.enterprises.models import EnterpriseCommunity
from identity.wechat.models import WeChatIdentity
from shared.uow import Repository


@dataclass(frozen=True, slots=True)
class RecipientRow:
    account_id: uuid.UUID
    wechat: bool
    sms: bool


@dataclass(frozen=True, slots=True)
class Contact:
    """An active account's WeChat openid in the platform's mini-program and its verified phone."""

    openid: str | None
    phone: str | None

    def __repr__(self) -> str:  # neither reaches a log or a traceback
        return f"Contact(openid={'<set>' if self.openid else None}, phone={'<set>' if self.phone else None})"


def _ids(name: str, values: Sequence[uuid.UUID]) -> ColumnElement[Any]:
    """One array parameter, whatever the list's length (the plan is the same for 1 or 1000 ids)."""
    return bindparam(name, list(values), type_=ARRAY(Uuid()))


@dataclass(frozen=True, slots=True)
class Holders:
    """The live holders of `role` whose grant's `scope` column is one of `scopes` (a one-column select)."""

    role: str
    scope: str  # "enterprise_id", "community_id" or "grid_id"
    scopes: Select[Any]


def _unnest(name: str, ids: Sequence[uuid.UUID]) -> Select[Any]:
    return select(func.unnest(_ids(name, ids)).label("scope_id"))


def holders_in_enterprises(role: str, enterprise_ids: Sequence[uuid.UUID]) -> Holders:
    return Holders(role, "enterprise_id", _unnest("enterprise_ids", enterprise_ids))


def holders_in_communities_enterprises(role: str, community_ids: Sequence[uuid.UUID]) -> Holders:
    """Holders of `role` in any enterprise the `enterprise_community` mirror places in these communities."""
    enterprises = (
        select(EnterpriseCommunity.enterprise_id.label("scope_id"))
        .where(EnterpriseCommunity.community_id == any_(_ids("community_ids", community_ids)))
        .distinct()
    )
    return Holders(role, "enterprise_id", enterprises)


def holders_in_communities(role: str, community_ids: Sequence[uuid.UUID]) -> Holders:
    return Holders(role, "community_id", _unnest("community_ids", community_ids))


def holders_in_grids(role: str, grid_ids: Sequence[uuid.UUID]) -> Holders:
    return Holders(role, "grid_id", _unnest("grid_ids", grid_ids))


def _candidates(holders: Holders, after: uuid.UUID | None, limit: int) -> Select[Any]:
    """At most `limit` active holders per scope, after `after`: each scope reads its slice of
    `ix_role_grant_live_<scope>` in account order and stops, so a page costs (scopes x limit)
    index entries at worst, never the whole 50,000."""
    scopes = holders.scopes.subquery("scope")
    scope_column = getattr(RoleGrant, holders.scope)
    per_scope = (
        select(RoleGrant.account_id)
        .join(Account, Account.id == RoleGrant.account_id)
        .where(
            scope_column == scopes.c.scope_id,
            RoleGrant.role == holders.role,
            RoleGrant.revoked_at.is_(None),
            or_(RoleGrant.valid_until.is_(None), RoleGrant.valid_until > func.now()),
            Account.status == "active",
        )
        .order_by(RoleGrant.account_id)
        .limit(limit)
    )
    if after is not None:
        per_scope = per_scope.where(RoleGrant.account_id > after)
    lateral = per_scope.lateral("holder")
    return select(lateral.c.account_id).select_from(scopes).join(lateral, true())


class RecipientRepository(Repository):
    async def page(
        self,
        appid: str,
        *,
        holders: Holders | None,
        subjects: Sequence[uuid.UUID] = (),
        after: uuid.UUID | None,
        limit: int,
    ) -> Sequence[RecipientRow]:
        """Active accounts among `holders` or `subjects`, distinct, by id after `after`: one query."""
        among: ColumnElement[bool]
        if holders is not None:
            among = Account.id.in_(_candidates(holders, after, limit))
        else:
            among = Account.id == any_(_ids("subjects", subjects))
        wechat = exists().where(WeChatIdentity.account_id == Account.id, WeChatIdentity.appid == appid)
        query = (
            select(Account.id, wechat.label("wechat"), Account.phone.is_not(None).label("sms"))
            .where(Account.status == "active", among)
            .order_by(Account.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Account.id > after)
        rows = (await self.session.execute(query)).all()
        return [RecipientRow(account_id=row.id, wechat=row.wechat, sms=row.sms) for row in rows]

    async def contact(self, account_id: uuid.UUID, appid: str) -> Contact | None:
        """The active account's openid (the latest signed-in, should it have two) and phone; None without one.

        One autocommitted statement on the hot path: the caller then talks to WeChat or Aliyun, and
        no transaction stays open across that call."""
        async with self.hot() as connection:
            row = await connection.fetchrow(
                "SELECT a.phone, (SELECT w.openid FROM identity.wechat_identity w"
                " WHERE w.account_id = a.id AND w.appid = $2 ORDER BY w.updated_at DESC LIMIT 1) AS openid"
                " FROM identity.account a WHERE a.id = $1 AND a.status = 'active'",
                account_id,
                appid,
            )
        if row is None:
            return None
        return Contact(openid=row["openid"], phone=row["phone"])
