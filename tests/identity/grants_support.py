"""Helpers shared by the grants, invitations and audit-read tests."""

from __future__ import annotations

import uuid

import asyncpg

from shared.auth import Identity, Role
from tests.support.database import asyncpg_dsn
from tests.support.identities import auth

EN = {"Accept-Language": "en"}


def person(account_id: uuid.UUID, *roles: Role, **scopes: object) -> dict[str, str]:
    """The gateway's identity header for an account's token: `account` and `roles`, with scopes."""
    who = Identity.model_validate({"subject": str(account_id), "roles": [Role.account, *roles], **scopes})
    return EN | auth(who)


def rep(account_id: uuid.UUID, enterprise_id: uuid.UUID) -> dict[str, str]:
    return person(account_id, Role.enterprise_rep, enterprise_id=enterprise_id)


async def sql(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()
