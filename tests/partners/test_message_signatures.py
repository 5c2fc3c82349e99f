"""Inbound signed partner requests: RFC 9421 signature + Content-Digest, 5-minute age, nonce once."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import ContentDigest, HTTPMessageSigner, MappingKeyResolver, algorithms
from sqlalchemy import MetaData, text

from gateway.message_signatures import (
    MemoryNonceStore,
    PartnerSigningKey,
    SignatureRejected,
    SqlNonceStore,
    VerifiedSignature,
    verify_signed_request,
)
from gateway.nonces import define_request_nonce_table
from shared.db import create_engine
from shared.settings import PlatformSettings

URL = "http://127.0.0.1:8000/v1/requests/3f1c/accept?lang=en"
BODY = b'{"note":"we take it"}'
SCHEMA = "test_partner_nonces"


def ed25519_pair(key_id: str = "bank-1") -> tuple[PartnerSigningKey, bytes]:
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return PartnerSigningKey(key_id=key_id, algorithm="ed25519", key=public_pem), private_pem


def signed(
    private_key: bytes,
    *,
    key_id: str = "bank-1",
    algorithm: type[algorithms.HTTPSignatureAlgorithm] = algorithms.ED25519,
    body: bytes = BODY,
    created: dt.datetime | None = None,
    nonce: str | None = "fresh",
    components: tuple[str, ...] = ("@method", "@path", "@query", "content-digest"),
    sign_body: bool = True,
) -> httpx.Request:
    request = httpx.Request("POST", URL, headers={"content-type": "application/json"}, content=body)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: private_key}),
    )
    signer.sign(
        request,
        key_id=key_id,
        created=created or dt.datetime.now(dt.UTC),
        nonce=secrets.token_urlsafe(16) if nonce == "fresh" else nonce,
        covered_component_ids=components,
        body=body if sign_body else None,
    )
    if not sign_body:
        request.headers["content-digest"] = ContentDigest.create(body)
    return request


async def verify(
    request: httpx.Request, key: PartnerSigningKey, nonces: MemoryNonceStore | SqlNonceStore, body: bytes | None = None
) -> VerifiedSignature:
    return await verify_signed_request(
        method=request.method,
        url=str(request.url),
        headers=request.headers.multi_items(),
        body=request.content if body is None else body,
        key=key,
        nonces=nonces,
    )


async def rejected(
    request: httpx.Request, key: PartnerSigningKey, nonces: MemoryNonceStore | SqlNonceStore, body: bytes | None = None
) -> str:
    with pytest.raises(SignatureRejected) as caught:
        await verify(request, key, nonces, body)
    return caught.value.code


async def test_a_valid_ed25519_signed_request_is_accepted() -> None:
    key, private = ed25519_pair()
    result = await verify(signed(private), key, MemoryNonceStore())
    assert result.key_id == "bank-1"
    assert '"content-digest"' in result.covered_components


async def test_a_valid_hmac_sha256_signed_request_is_accepted() -> None:
    secret = secrets.token_bytes(32)
    key = PartnerSigningKey(key_id="bank-hmac", algorithm="hmac-sha256", key=secret)
    request = signed(secret, key_id="bank-hmac", algorithm=algorithms.HMAC_SHA256)
    assert (await verify(request, key, MemoryNonceStore())).key_id == "bank-hmac"


async def test_a_tampered_body_is_refused_as_a_digest_mismatch() -> None:
    key, private = ed25519_pair()
    request = signed(private)
    assert await rejected(request, key, MemoryNonceStore(), body=b'{"note":"we take it all"}') == (
        "content_digest_mismatch"
    )


async def test_a_body_with_a_recomputed_digest_still_fails_the_signature() -> None:
    key, private = ed25519_pair()
    request = signed(private)
    forged = b'{"note":"forged"}'
    request.headers["content-digest"] = signed(private, body=forged).headers["content-digest"]
    assert await rejected(request, key, MemoryNonceStore(), body=forged) == "signature_invalid"


async def test_a_signature_older_than_five_minutes_is_stale() -> None:
    key, private = ed25519_pair()
    request = signed(private, created=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6))
    assert await rejected(request, key, MemoryNonceStore()) == "signature_stale"


async def test_a_signature_four_minutes_old_is_still_accepted() -> None:
    key, private = ed25519_pair()
    request = signed(private, created=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=4))
    assert (await verify(request, key, MemoryNonceStore())).key_id == "bank-1"


async def test_a_replayed_nonce_is_refused_the_second_time() -> None:
    key, private = ed25519_pair()
    nonces = MemoryNonceStore()
    request = signed(private)
    await verify(request, key, nonces)
    assert await rejected(request, key, nonces) == "nonce_replayed"


async def test_a_signature_without_nonce_is_refused() -> None:
    key, private = ed25519_pair()
    assert await rejected(signed(private, nonce=None), key, MemoryNonceStore()) == "nonce_missing"


async def test_a_signature_by_another_key_is_refused() -> None:
    key, _ = ed25519_pair()
    _, other_private = ed25519_pair()
    assert await rejected(signed(other_private), key, MemoryNonceStore()) == "signature_invalid"


async def test_an_unknown_keyid_is_refused() -> None:
    key, private = ed25519_pair()
    assert await rejected(signed(private, key_id="someone-else"), key, MemoryNonceStore()) == "unknown_key"


async def test_a_signature_not_covering_the_digest_is_refused() -> None:
    key, private = ed25519_pair()
    request = signed(private, components=("@method", "@path", "@query"), sign_body=False)
    assert "content-digest" not in request.headers["signature-input"]
    assert await rejected(request, key, MemoryNonceStore()) == "signature_coverage"


async def test_an_unsigned_request_is_refused() -> None:
    key, _ = ed25519_pair()
    request = httpx.Request("POST", URL, content=BODY)
    assert await rejected(request, key, MemoryNonceStore()) == "signature_missing"


async def test_a_changed_path_is_refused() -> None:
    key, private = ed25519_pair()
    request = signed(private)
    moved = httpx.Request("POST", URL.replace("accept", "decline"), headers=request.headers, content=request.content)
    assert await rejected(moved, key, MemoryNonceStore()) == "signature_invalid"


@pytest.fixture(scope="module")
async def sql_nonces(database_url: str) -> AsyncIterator[SqlNonceStore]:
    metadata = MetaData(schema=SCHEMA)
    table = define_request_nonce_table(metadata)
    engine = create_engine(PlatformSettings(database_url=database_url).async_database_url)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        await connection.run_sync(metadata.create_all)
    try:
        yield SqlNonceStore(engine, table)
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
        await engine.dispose()


async def test_the_same_signed_request_sent_twenty_times_at_once_is_accepted_exactly_once(
    sql_nonces: SqlNonceStore,
) -> None:
    key, private = ed25519_pair(key_id=f"bank-{uuid.uuid4().hex[:8]}")
    request = signed(private, key_id=key.key_id)
    outcomes = await asyncio.gather(*(verify(request, key, sql_nonces) for _ in range(20)), return_exceptions=True)
    accepted = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, SignatureRejected)]
    assert len(accepted) == 1
    assert len(refused) == 19
    assert {error.code for error in refused} == {"nonce_replayed"}


async def test_the_same_nonce_from_two_partners_does_not_collide(sql_nonces: SqlNonceStore) -> None:
    first, first_private = ed25519_pair(key_id=f"bank-{uuid.uuid4().hex[:8]}")
    second, second_private = ed25519_pair(key_id=f"mcn-{uuid.uuid4().hex[:8]}")
    await verify(signed(first_private, key_id=first.key_id, nonce="n-1"), first, sql_nonces)
    await verify(signed(second_private, key_id=second.key_id, nonce="n-1"), second, sql_nonces)


async def test_purging_forgets_only_nonces_too_old_to_be_replayed(sql_nonces: SqlNonceStore) -> None:
    key, private = ed25519_pair(key_id=f"bank-{uuid.uuid4().hex[:8]}")
    request = signed(private, key_id=key.key_id)
    await verify(request, key, sql_nonces)
    await sql_nonces.purge()
    assert await rejected(request, key, sql_nonces) == "nonce_replayed"
    assert await sql_nonces.purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)) >= 1
