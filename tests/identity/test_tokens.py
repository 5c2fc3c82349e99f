"""Access tokens carry the grants; refresh tokens are opaque, stored hashed, rotated on every use,
and a reused one signs its whole session out. Two concurrent refreshes: exactly one wins."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid

import asyncpg
import httpx
import jwt
from fastapi import FastAPI

from shared.auth import Identity, Role
from tests.identity.conftest import signed_in
from tests.support.database import asyncpg_dsn
from tests.support.identities import auth


def _claims(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})


async def test_the_access_token_carries_every_grant_and_the_kid(identity_service: FastAPI) -> None:
    enterprise, community = uuid.uuid4(), uuid.uuid4()
    who = await signed_in(
        identity_service,
        (Role.employee, {"enterprise_id": enterprise}),
        (Role.enterprise_rep, {"enterprise_id": enterprise}),
        (Role.community_staff, {"community_id": community}),
    )
    header = jwt.get_unverified_header(who.pair.access_token)
    claims = _claims(who.pair.access_token)
    assert header["alg"] == "ES256" and header["kid"]
    assert claims["sub"] == str(who.account_id)
    assert claims["roles"] == ["account", "community_staff", "employee", "enterprise_rep"]
    assert claims["enterprise_id"] == str(enterprise) and claims["community_ids"] == [str(community)]
    assert int(claims["exp"]) - int(claims["iat"]) == 900  # type: ignore[call-overload]
    identity = Identity.from_claims(claims)
    assert identity.enterprise_id == enterprise and Role.enterprise_rep in identity.roles
    assert who.pair.expires_in == 900 and who.pair.refresh_expires_in == 30 * 86400
    assert len(base64.urlsafe_b64decode(who.pair.refresh_token + "=")) == 32


async def test_refresh_tokens_are_stored_hashed(identity_service: FastAPI, database_url: str) -> None:
    who = await signed_in(identity_service, (Role.employee, {"enterprise_id": uuid.uuid4()}))
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        stored = await connection.fetchval("SELECT array_agg(token_sha256) FROM identity.refresh_token")
    finally:
        await connection.close()
    assert stored == [hashlib.sha256(who.pair.refresh_token.encode()).digest()]


async def test_each_refresh_rotates_and_reuse_revokes_the_family(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    who = await signed_in(identity_service, (Role.employee, {"enterprise_id": uuid.uuid4()}))
    first = await identity_client.post("/v1/auth/token", json={"refresh_token": who.pair.refresh_token})
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    rotated = first.json()
    assert rotated["refresh_token"] != who.pair.refresh_token and rotated["session_id"] == str(who.pair.session_id)

    reused = await identity_client.post(
        "/v1/auth/token", json={"refresh_token": who.pair.refresh_token}, headers={"Accept-Language": "en"}
    )
    assert reused.status_code == 401 and reused.json()["code"] == "REFRESH_TOKEN_REUSED"
    assert who.pair.refresh_token not in reused.text
    # the family is gone: the token issued by the rotation is refused too
    after = await identity_client.post("/v1/auth/token", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401 and after.json()["code"] == "INVALID_REFRESH_TOKEN"


async def test_two_concurrent_refreshes_of_one_token_exactly_one_succeeds(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    for _ in range(5):
        who = await signed_in(identity_service, (Role.employee, {"enterprise_id": uuid.uuid4()}))
        body = {"refresh_token": who.pair.refresh_token}
        answers = await asyncio.gather(*(identity_client.post("/v1/auth/token", json=body) for _ in range(2)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 401], [answer.text for answer in answers]


async def test_unknown_and_malformed_refresh_tokens(identity_client: httpx.AsyncClient) -> None:
    unknown = await identity_client.post("/v1/auth/token", json={"refresh_token": "A" * 43})
    assert unknown.status_code == 401 and unknown.json()["code"] == "INVALID_REFRESH_TOKEN"
    for body in (
        {},
        {"refresh_token": "short"},
        {"refresh_token": "x" * 43 + "!"},
        {"refresh_token": "A" * 43, "x": 1},
    ):
        answer = await identity_client.post("/v1/auth/token", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert "short" not in answer.text


async def test_logout_ends_the_session_and_sessions_are_listed_and_revoked(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    enterprise = uuid.uuid4()
    who = await signed_in(identity_service, (Role.employee, {"enterprise_id": enterprise}))
    me = Identity(subject=str(who.account_id), roles=frozenset({Role.account, Role.employee}), enterprise_id=enterprise)
    listed = await identity_client.get("/v1/auth/sessions", headers=auth(me))
    assert listed.status_code == 200 and [item["id"] for item in listed.json()["items"]] == [str(who.pair.session_id)]
    assert listed.json()["items"][0]["method"] == "sms"

    stranger = Identity(
        subject=str(uuid.uuid4()), roles=frozenset({Role.account, Role.employee}), enterprise_id=enterprise
    )
    foreign = await identity_client.delete(f"/v1/auth/sessions/{who.pair.session_id}", headers=auth(stranger))
    assert foreign.status_code == 404 and foreign.json()["code"] == "SESSION_NOT_FOUND"

    second = await signed_in(identity_service, (Role.employee, {"enterprise_id": enterprise}))
    assert (
        await identity_client.post("/v1/auth/logout", json={"refresh_token": second.pair.refresh_token})
    ).status_code == 204
    refused = await identity_client.post("/v1/auth/token", json={"refresh_token": second.pair.refresh_token})
    assert refused.status_code == 401

    deleted = await identity_client.delete(f"/v1/auth/sessions/{who.pair.session_id}", headers=auth(me))
    assert deleted.status_code == 204
    assert (await identity_client.get("/v1/auth/sessions", headers=auth(me))).json()["items"] == []
    assert (
        await identity_client.post("/v1/auth/token", json={"refresh_token": who.pair.refresh_token})
    ).status_code == 401
