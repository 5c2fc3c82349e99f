"""Partners configured to sign: the gateway checks RFC 9421 signatures, Content-Digest and nonces.

The gateway runs in process in front of a real HTTP upstream (an aiohttp echo server standing in
for the service-requests service), so a test sees exactly what the service would receive.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiohttp import web
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from gateway.app import create_app
from gateway.devkeys import DevKeys
from gateway.settings import Settings
from gateway.tokens import mint_user_token
from tests.support.harness import SERVICE_NAMES, free_port
from tests.support.identities import TEST_SECRET, admin
from tests.support.rows import rows

PATH = "/v1/service-requests/8a3c2a4e-5d0b-4a8e-9d8e-0d7f3d1c2b11/transitions"
BODY = b'{"action":"accept"}'


@dataclass
class SigningPartner:
    id: str
    api_key: str
    key_id: str
    private_pem: bytes


@dataclass
class Setup:
    client: httpx.AsyncClient
    keys: DevKeys

    def admin(self) -> dict[str, str]:
        return {"Authorization": "Bearer " + mint_user_token(admin(), self.keys.private_key)}

    async def partner(self, name: str, *, required: bool = True) -> SigningPartner:
        created = await self.client.post(
            "/v1/partners", json={"kind": "bank", "name": name, "contact": "ops@bank.example"}, headers=self.admin()
        )
        assert created.status_code == 201, created.text
        partner_id = created.json()["id"]
        key = await self.client.post(f"/v1/partners/{partner_id}/api-keys", headers=self.admin())
        private = Ed25519PrivateKey.generate()
        key_id = f"{name}-2026"
        installed = await self.client.put(
            f"/v1/partners/{partner_id}/signing-key",
            json={"key_id": key_id, "public_key_pem": public_pem(private), "required": required},
            headers=self.admin(),
        )
        assert installed.status_code == 200, installed.text
        assert installed.json()["signing_key"] == {"key_id": key_id, "required": required}
        private_pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return SigningPartner(partner_id, key.json()["api_key"], key_id, private_pem)

    def signed(
        self,
        partner: SigningPartner,
        *,
        body: bytes = BODY,
        path: str = PATH,
        created: dt.datetime | None = None,
        key_id: str | None = None,
    ) -> httpx.Request:
        request = self.client.build_request(
            "POST",
            path,
            content=body,
            headers={"Authorization": f"Bearer {partner.api_key}", "Content-Type": "application/json"},
        )
        signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(
                public_keys={}, private_keys={key_id or partner.key_id: partner.private_pem}
            ),
        )
        signer.sign(
            request,
            key_id=key_id or partner.key_id,
            created=created or dt.datetime.now(dt.UTC),
            nonce=secrets.token_urlsafe(16),
            covered_component_ids=("@method", "@path", "@query", "content-digest"),
            body=body,
        )
        return request


def public_pem(private: Ed25519PrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
async def echo_upstream() -> AsyncIterator[str]:
    """Answers every request with what it received: method, path, body and whether an identity came."""

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "path": request.path_qs,
                "body": body.decode(),
                "identity": "x-platform-identity" in request.headers,
            }
        )

    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(application)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def setup(database_url: str, gateway_keys: DevKeys, echo_upstream: str) -> AsyncIterator[Setup]:
    settings = Settings(
        database_url=database_url,
        environment="test",
        internal_token_secret=TEST_SECRET,
        jwt_public_key_file=gateway_keys.public_key,
        upstreams=dict.fromkeys(SERVICE_NAMES, echo_upstream),
        rate_limit="10000/minute",
        partner_rate_limit="10000/minute",
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield Setup(client, gateway_keys)


def refusal(answer: httpx.Response) -> str:
    assert answer.status_code == 401, answer.text
    problem: dict[str, Any] = answer.json()
    assert problem["code"] == "SIGNATURE_REJECTED"
    reason: str = problem["reason"]
    return reason


async def test_a_signed_request_reaches_the_service_unchanged_and_its_replay_is_refused(setup: Setup) -> None:
    bank = await setup.partner("hzbank")
    request = setup.signed(bank)

    accepted = await setup.client.send(request)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"method": "POST", "path": PATH, "body": BODY.decode(), "identity": True}
    assert refusal(await setup.client.send(request)) == "nonce_replayed"


async def test_a_partner_that_must_sign_is_refused_without_a_valid_signature(setup: Setup) -> None:
    bank = await setup.partner("hzbank")
    unsigned = await setup.client.post(PATH, content=BODY, headers={"Authorization": f"Bearer {bank.api_key}"})
    assert refusal(unsigned) == "signature_missing"

    tampered = setup.signed(bank)
    tampered.stream = httpx.ByteStream(b'{"action":"reject"}')  # same length, other bytes
    assert refusal(await setup.client.send(tampered)) == "content_digest_mismatch"

    stale = setup.signed(bank, created=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6))
    assert refusal(await setup.client.send(stale)) == "signature_stale"

    other = await setup.partner("zjbank")
    with_other_key = setup.signed(bank, key_id=other.key_id)
    with_other_key.headers["Authorization"] = f"Bearer {bank.api_key}"
    assert refusal(await setup.client.send(with_other_key)) in {"unknown_key", "signature_invalid"}

    forged_path = setup.signed(bank)
    forged_path.url = forged_path.url.copy_with(path=PATH.replace("transitions", "comments"))
    assert refusal(await setup.client.send(forged_path)) == "signature_invalid"

    open311 = await setup.client.get(f"/open311/v2/requests.json?api_key={bank.api_key}")
    assert open311.status_code == 403  # under /open311 a refused credential is the specification's 403
    assert "(signature_needs_authorization_header)" in open311.json()[0]["description"]


async def test_partners_not_required_to_sign_and_removed_keys_need_no_signature(setup: Setup) -> None:
    relaxed = await setup.partner("relaxed", required=False)
    plain = await setup.client.post(PATH, content=BODY, headers={"Authorization": f"Bearer {relaxed.api_key}"})
    assert plain.status_code == 200, plain.text

    bank = await setup.partner("hzbank")
    removed = await setup.client.delete(f"/v1/partners/{bank.id}/signing-key", headers=setup.admin())
    assert removed.status_code == 200 and removed.json()["signing_key"] is None
    plain = await setup.client.post(PATH, content=BODY, headers={"Authorization": f"Bearer {bank.api_key}"})
    assert plain.status_code == 200, plain.text


async def test_concurrent_replays_of_one_signed_request_are_accepted_once(setup: Setup, database_url: str) -> None:
    bank = await setup.partner("hzbank")
    request = setup.signed(bank)
    raw = (request.method, str(request.url), dict(request.headers), BODY)

    async def replay() -> int:
        method, url, headers, body = raw
        return (await setup.client.request(method, url, headers=headers, content=body)).status_code

    answers = await asyncio.gather(*(replay() for _ in range(10)))

    assert sorted(answers) == [200] + [401] * 9
    nonce = re.search(r'nonce="([^"]+)"', raw[2]["signature-input"])
    assert nonce is not None
    stored = await rows(database_url, "SELECT key_id FROM gateway.request_nonce WHERE nonce = $1", nonce.group(1))
    assert len(stored) == 1


async def test_signing_keys_are_validated(setup: Setup) -> None:
    bank = await setup.partner("hzbank")
    created = await setup.client.post(
        "/v1/partners", json={"kind": "bank", "name": "other", "contact": "x"}, headers=setup.admin()
    )
    other_id = created.json()["id"]
    rsa_pem = (
        generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    url = f"/v1/partners/{other_id}/signing-key"
    for pem in ("not a key", rsa_pem):
        refused = await setup.client.put(url, json={"key_id": "k1", "public_key_pem": pem}, headers=setup.admin())
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "SIGNING_KEY_INVALID"
        assert refused.json()["errors"][0]["pointer"] == "/public_key_pem"

    taken = await setup.client.put(
        url,
        json={"key_id": bank.key_id, "public_key_pem": public_pem(Ed25519PrivateKey.generate())},
        headers=setup.admin(),
    )
    assert taken.status_code == 409, taken.text
    assert taken.json()["code"] == "SIGNING_KEY_ID_TAKEN"

    missing = await setup.client.put(
        "/v1/partners/6d0c7a3e-0000-4000-8000-000000000000/signing-key",
        json={"key_id": "k2", "public_key_pem": public_pem(Ed25519PrivateKey.generate())},
        headers=setup.admin(),
    )
    assert missing.status_code == 404
