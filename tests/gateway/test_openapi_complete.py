"""The merged `/openapi.json` is complete or a 503 with `Retry-After`; an incomplete one is never cached."""

from __future__ import annotations

import asyncio

import httpx
from asgi_lifespan import LifespanManager

from gateway.app import create_app
from gateway.devkeys import DevKeys
from gateway.settings import Settings
from tests.support.harness import FACTORIES, PlatformProcess, free_port, platform_env
from tests.support.identities import TEST_SECRET


async def test_openapi_is_503_until_every_upstream_is_in_it(database_url: str, gateway_keys: DevKeys) -> None:
    port = free_port()
    settings = Settings(
        database_url=database_url,
        environment="test",
        internal_token_secret=TEST_SECRET,
        jwt_public_key_file=gateway_keys.public_key,
        upstreams={"registry": f"http://127.0.0.1:{port}"},
        openapi_retry_seconds=0,
    )
    env = platform_env(database_url, secret=TEST_SECRET, public_key=gateway_keys.public_key)
    registry = PlatformProcess("registry", FACTORIES["registry"], env, port=port)
    async with LifespanManager(create_app(settings)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            before = await client.get("/openapi.json")
            await asyncio.to_thread(registry.start)
            try:
                after = await client.get("/openapi.json")
            finally:
                await asyncio.to_thread(registry.stop)
            cached = await client.get("/openapi.json")  # the registry is gone again: the complete one stays

    assert before.status_code == 503, before.text
    assert before.headers["content-type"] == "application/problem+json"
    assert int(before.headers["retry-after"]) >= 1
    assert before.json()["code"] == "OPENAPI_INCOMPLETE"
    assert before.json()["unavailable_upstreams"] == ["registry"]
    assert after.status_code == 200, after.text
    assert "/v1/communities" in after.json()["paths"] and "x-unavailable-upstreams" not in after.json()
    assert cached.status_code == 200 and cached.json() == after.json()
