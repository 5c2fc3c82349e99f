"""Every malformed bearer token is a 401 Problem Details (`INVALID_TOKEN`), never a 500, and logs no traceback."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from aiohttp import web
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.app import create_app
from gateway.devkeys import DevKeys
from gateway.settings import AUDIENCE, DEV_ISSUER, Settings
from shared.auth import Role
from tests.support.harness import SERVICE_NAMES, free_port
from tests.support.identities import TEST_SECRET, minimal_identity
from tests.support.logs import json_logs

JWKS_KID = "issuer-key-1"


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _json_segment(value: Any) -> str:
    return _segment(json.dumps(value).encode())


def _claims() -> dict[str, Any]:
    return {**minimal_identity(Role.employee).to_claims(), "iss": DEV_ISSUER, "aud": AUDIENCE, "exp": 4102444800}


def _pem(private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _rsa_signed(kid: str | None = None) -> str:
    """A well-formed RS256 token signed by a key the gateway does not know."""
    headers = {"kid": kid} if kid else None
    return jwt.encode(_claims(), _pem(rsa.generate_private_key(65537, 2048)), "RS256", headers=headers)


def _hs256(kid: str | None = None) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(_claims(), "a-shared-secret-that-is-long-enough-for-hs256", "HS256", headers=headers)


# (case, token); shared by the configured-key and the JWKS gateway.
MALFORMED: list[tuple[str, Callable[[], str]]] = [
    ("rs256-header-garbage", lambda: "eyJhbGciOiJSUzI1NiJ9.e30.AAAA"),  # the reported one
    ("rs256-header-garbage-with-kid", lambda: _json_segment({"alg": "RS256", "kid": JWKS_KID}) + ".e30.AAAA"),
    ("es256-header-garbage", lambda: _json_segment({"alg": "ES256"}) + ".e30.AAAA"),
    ("bad-base64", lambda: "!!!!.e30.AAAA"),
    ("bad-json-header", lambda: _segment(b"{not json") + ".e30.AAAA"),
    ("header-not-an-object", lambda: _json_segment([1, 2]) + ".e30.AAAA"),
    ("bad-json-payload", lambda: _json_segment({"alg": "ES256"}) + "." + _segment(b"{nope") + ".AAAA"),
    ("payload-not-an-object", lambda: _json_segment({"alg": "RS256", "kid": JWKS_KID}) + ".WzFd.AAAA"),
    ("unknown-alg", lambda: _json_segment({"alg": "XY999"}) + ".e30.AAAA"),
    ("alg-not-a-string", lambda: _json_segment({"alg": 7}) + ".e30.AAAA"),
    ("no-alg", lambda: _json_segment({"typ": "JWT"}) + ".e30.AAAA"),
    ("alg-none", lambda: _json_segment({"alg": "none"}) + "." + _json_segment(_claims()) + "."),
    ("hs256", _hs256),
    ("hs256-with-kid", lambda: _hs256(JWKS_KID)),
    ("kid-not-a-string", lambda: _json_segment({"alg": "RS256", "kid": 5}) + ".e30.AAAA"),
    ("rs256-signed-by-a-stranger", lambda: _rsa_signed(JWKS_KID)),
    ("two-segments", lambda: "eyJhbGciOiJSUzI1NiJ9.e30"),
    ("four-segments", lambda: "eyJhbGciOiJSUzI1NiJ9.e30.AAAA.AAAA"),
    ("not-ascii", lambda: "eyJhbGciOiJSUzI1NiJ9.é.AAAA"),
    ("huge", lambda: _json_segment({"alg": "RS256", "kid": JWKS_KID}) + "." + "A" * 200_000 + ".AAAA"),
]
# Only meaningful against a key set: the key is chosen by `kid`.
MALFORMED_FOR_JWKS: list[tuple[str, Callable[[], str]]] = [
    ("missing-kid", lambda: _rsa_signed()),
    ("unknown-kid", lambda: _rsa_signed("someone-else")),
    (
        "es256-header-for-an-rsa-key",
        lambda: jwt.encode(_claims(), _pem(ec.generate_private_key(ec.SECP256R1())), "ES256", {"kid": JWKS_KID}),
    ),
]
PATHS = ["/v1/auth/me", "/v1/enterprises"]  # the gateway's own route, and a proxied one


@dataclass
class Probe:
    client: httpx.AsyncClient
    logs: io.StringIO

    async def get(self, path: str, token: str) -> tuple[httpx.Response, list[dict[str, Any]]]:
        """The answer, and every log line other than the access line that the request wrote."""
        start = len(self.logs.getvalue())
        response = await self.client.get(path, headers={b"Authorization": f"Bearer {token}".encode()})
        written = self.logs.getvalue()[start:].splitlines()
        lines = [json.loads(line) for line in written if line.startswith("{")]
        return response, [line for line in lines if line.get("event") != "request"]


async def _probe(settings: Settings) -> AsyncIterator[Probe]:
    with json_logs() as out:
        async with LifespanManager(create_app(settings)) as manager:
            transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
                yield Probe(client, out)


def _settings(database_url: str, **auth: Any) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        internal_token_secret=TEST_SECRET,
        upstreams={name: f"http://127.0.0.1:{free_port()}" for name in SERVICE_NAMES},
        log_level="INFO",
        **auth,
    )


@pytest.fixture(scope="module")
async def with_public_key(database_url: str, gateway_keys: DevKeys) -> AsyncIterator[Probe]:
    """A gateway verifying with a configured ES256 public key (the development set-up)."""
    async for probe in _probe(_settings(database_url, jwt_public_key_file=gateway_keys.public_key)):
        yield probe


@pytest.fixture(scope="module")
async def with_jwks(database_url: str) -> AsyncIterator[Probe]:
    """A gateway taking its keys from an issuer's JWKS holding one RS256 key."""
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa.generate_private_key(65537, 2048).public_key()))
    public_jwk.update(kid=JWKS_KID, use="sig")

    async def jwks(_: web.Request) -> web.Response:
        return web.json_response({"keys": [public_jwk]})

    application = web.Application()
    application.router.add_get("/jwks.json", jwks)
    runner = web.AppRunner(application)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async for probe in _probe(_settings(database_url, jwks_url=f"http://127.0.0.1:{port}/jwks.json")):
            yield probe
    finally:
        await runner.cleanup()


def _assert_refused(response: httpx.Response, logged: list[dict[str, Any]]) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == "INVALID_TOKEN" and body["status"] == 401
    assert "AAAA" not in response.text  # nothing of the token is echoed
    assert [line for line in logged if line.get("level") in ("error", "critical") or "exception" in line] == []


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("case", "token"), MALFORMED, ids=[case for case, _ in MALFORMED])
async def test_a_malformed_token_is_a_401_against_a_configured_key(
    with_public_key: Probe, path: str, case: str, token: Callable[[], str]
) -> None:
    _assert_refused(*await with_public_key.get(path, token()))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("case", "token"), MALFORMED + MALFORMED_FOR_JWKS, ids=[case for case, _ in MALFORMED + MALFORMED_FOR_JWKS]
)
async def test_a_malformed_token_is_a_401_against_a_key_set(
    with_jwks: Probe, path: str, case: str, token: Callable[[], str]
) -> None:
    _assert_refused(*await with_jwks.get(path, token()))
