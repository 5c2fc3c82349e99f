"""The gateway's key set: a kid published a moment ago is accepted (late, not refused), and garbage
kids cost the issuer at most one fetch per `min_refresh` however many arrive at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec

from bench.harness import free_port
from gateway.keyset import KeySet


def jwk(kid: str) -> dict[str, Any]:
    public = jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True)
    return {**public, "kid": kid, "alg": "ES256", "use": "sig"}


@pytest.fixture
async def issuer() -> Any:
    published: dict[str, Any] = {"keys": [jwk("first")], "fetches": 0}

    async def jwks(_: web.Request) -> web.Response:
        published["fetches"] += 1
        return web.json_response({"keys": published["keys"]})

    app = web.Application()
    app.router.add_get("/jwks.json", jwks)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    published["url"] = f"http://127.0.0.1:{port}/jwks.json"
    try:
        yield published
    finally:
        await runner.cleanup()


async def test_a_kid_published_right_after_a_fetch_is_accepted_late_not_refused(issuer: dict[str, Any]) -> None:
    keys = KeySet(issuer["url"], max_age=300, min_refresh=0.5)
    async with aiohttp.ClientSession() as http:
        keys.http = http
        assert await keys.key("first") is not None and issuer["fetches"] == 1
        issuer["keys"].append(jwk("second"))  # a rotation: the new key signs at once
        started = time.monotonic()
        assert await keys.key("second") is not None
        assert time.monotonic() - started <= 0.6 and issuer["fetches"] == 2


async def test_garbage_kids_at_once_cost_one_fetch(issuer: dict[str, Any]) -> None:
    keys = KeySet(issuer["url"], max_age=300, min_refresh=0.5)
    async with aiohttp.ClientSession() as http:
        keys.http = http
        await keys.key("first")
        found = await asyncio.gather(*(keys.key(f"garbage-{n}") for n in range(200)))
        assert found == [None] * 200
        assert issuer["fetches"] == 2
