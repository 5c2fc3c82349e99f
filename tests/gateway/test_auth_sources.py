"""Keys from a JWKS URL (RS256), and rate limits shared by two gateway replicas through Redis.

The Redis server is a real one started by `tests.support.redis_server` (fixture `redis_url`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from aiohttp import web
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.app import create_app
from gateway.devkeys import DevKeys
from gateway.settings import Settings
from gateway.tokens import mint_user_token
from shared.auth import Role
from tests.support.harness import free_port
from tests.support.identities import minimal_identity


@pytest.fixture
async def jwks_server() -> AsyncIterator[tuple[str, str]]:
    """An issuer publishing one RS256 key at /.well-known/jwks.json; yields (url, private PEM)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    public_jwk.update(kid="issuer-key-1", use="sig", alg="RS256")

    async def jwks(_: web.Request) -> web.Response:
        return web.json_response({"keys": [public_jwk]})

    application = web.Application()
    application.router.add_get("/.well-known/jwks.json", jwks)
    runner = web.AppRunner(application)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    try:
        yield f"http://127.0.0.1:{port}/.well-known/jwks.json", pem
    finally:
        await runner.cleanup()


async def test_rs256_tokens_verified_with_keys_from_a_jwks_url(database_url: str, jwks_server: tuple[str, str]) -> None:
    url, private_pem = jwks_server
    app = create_app(Settings(database_url=database_url, environment="test", jwks_url=url))
    who = minimal_identity(Role.grid_worker)
    signed = jwt.encode(
        {**who.to_claims(), "iss": "binjiang-platform-dev", "aud": "binjiang-platform", "exp": 4102444800},
        private_pem,
        algorithm="RS256",
        headers={"kid": "issuer-key-1"},
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {signed}"})
            wrong_audience = jwt.encode(
                {**who.to_claims(), "iss": "binjiang-platform-dev", "aud": "someone-else", "exp": 4102444800},
                private_pem,
                algorithm="RS256",
                headers={"kid": "issuer-key-1"},
            )
            refused = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {wrong_audience}"})
    assert me.status_code == 200, me.text
    assert me.json()["subject"] == who.subject and me.json()["roles"] == ["grid_worker"]
    assert refused.status_code == 401 and refused.json()["code"] == "INVALID_TOKEN"


async def test_two_replicas_share_one_limit_through_redis(
    database_url: str, gateway_keys: DevKeys, redis_url: str
) -> None:
    settings = Settings(
        database_url=database_url,
        environment="test",
        jwt_public_key_file=gateway_keys.public_key,
        redis_url=redis_url,
        rate_limit="10/minute",
        upstreams={"registry": f"http://127.0.0.1:{free_port()}"},
        breaker_failure_threshold=1000,
    )
    headers = {"Authorization": "Bearer " + mint_user_token(minimal_identity(Role.employee), gateway_keys.private_key)}
    async with LifespanManager(create_app(settings)) as first, LifespanManager(create_app(settings)) as second:
        statuses = []
        for replica in (first, second) * 6:
            transport = httpx.ASGITransport(app=replica.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
                statuses.append((await client.get("/v1/communities/about", headers=headers)).status_code)
    # The upstream is closed (503) but every request was counted: the 11th and 12th, on either replica, are 429.
    assert statuses[:10] == [503] * 10
    assert statuses[10:] == [429, 429]
