"""Signing keys: sealed in the identity schema, published by kid, rotated without dropping old tokens."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from identity.keys import service
from shared.auth import Role
from shared.uow import unit_of_work
from tests.identity.conftest import signed_in
from tests.support.database import asyncpg_dsn


class _Row:
    """The two columns `KeyRing.private_key` reads."""

    def __init__(self, kid: str, sealed: bytes) -> None:
        self.kid = kid
        self.private_key_sealed = sealed


async def _rows(database_url: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return list(await connection.fetch("SELECT * FROM identity.signing_key ORDER BY created_at"))
    finally:
        await connection.close()


async def test_the_key_set_verifies_issued_tokens_and_holds_no_private_part(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    who = await signed_in(identity_service, (Role.employee, {"enterprise_id": uuid.uuid4()}))
    for path in ("/.well-known/jwks.json", "/internal/jwks.json"):
        answer = await identity_client.get(path)
        assert answer.status_code == 200 and "max-age" in answer.headers["cache-control"]
        keys = answer.json()["keys"]
        assert all(set(key) == {"kty", "crv", "x", "y", "kid", "alg", "use"} for key in keys)  # no "d"
        kid = jwt.get_unverified_header(who.pair.access_token)["kid"]
        key = jwt.PyJWK(next(key for key in keys if key["kid"] == kid))
        claims = jwt.decode(who.pair.access_token, key, algorithms=["ES256"], audience="binjiang-platform")
        assert claims["sub"] == str(who.account_id)
    (row,) = await _rows(database_url)
    private = identity_service.state.key_ring.private_key(_Row(row["kid"], bytes(row["private_key_sealed"])))
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert der not in bytes(row["private_key_sealed"]) and len(row["private_key_sealed"]) > len(der)
    assert "KeyRing(" in repr(identity_service.state.key_ring) and "BEGIN" not in repr(identity_service.state.key_ring)


async def test_rotation_signs_with_the_new_key_at_once_and_keeps_the_old_one_verifying(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    before = await signed_in(identity_service, (Role.employee, {"enterprise_id": uuid.uuid4()}))
    old_kid = jwt.get_unverified_header(before.pair.access_token)["kid"]
    async with unit_of_work(identity_service) as uow:
        rotation = await service.rotate(uow, actor="test", source_ip=None)
    assert rotation.retired_kid == old_kid and rotation.signing_kid != old_kid
    after = await signed_in(identity_service, (Role.employee, {"enterprise_id": uuid.uuid4()}))
    assert jwt.get_unverified_header(after.pair.access_token)["kid"] == rotation.signing_kid
    published = [key["kid"] for key in (await identity_client.get("/.well-known/jwks.json")).json()["keys"]]
    assert published == [rotation.signing_kid, old_kid]
    rows = await _rows(database_url)
    assert [row["retired_at"] is None for row in rows] == [False, True]
    assert (rows[0]["verify_until"] - rows[0]["retired_at"]).total_seconds() == 900 + 60


async def test_concurrent_rotations_leave_exactly_one_signing_key(identity_service: FastAPI, database_url: str) -> None:
    async def rotate() -> None:
        async with unit_of_work(identity_service) as uow:
            await service.rotate(uow, actor="test", source_ip=None)

    await asyncio.gather(*(rotate() for _ in range(4)))
    rows = await _rows(database_url)
    assert sum(row["retired_at"] is None for row in rows) == 1 and len(rows) == 4  # tables emptied before
