"""Inbound RFC 9421 HTTP Message Signatures for partners that must sign their requests.

A partner configured to sign (banks, typically) sends every request with `Content-Digest`
(RFC 9530), `Signature-Input` and `Signature`. The signature must cover at least the method,
the path, the query and the content digest, carry `created`, `keyid` and a `nonce`, be at most
five minutes old, and its nonce must never have been accepted before. Verification of the
cryptography is done by the `http-message-signatures` package; this module adds the policy
(required coverage, age, nonce once) and turns each failure into one clear, stable error code
that the gateway answers as a 401 Problem Details.

`verify_signed_request(...)` is the single entry point. Nonces are claimed through a
`NonceStore`: `SqlNonceStore` claims them with one `INSERT ... ON CONFLICT DO NOTHING` against
a table with a unique constraint, so two replicas racing on the same nonce cannot both win.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    VerifyResult,
    algorithms,
)
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

MAX_AGE = dt.timedelta(minutes=5)
#: Components every partner signature must cover.
REQUIRED_COMPONENTS: tuple[str, ...] = ("@method", "@path", "@query", "content-digest")
MAX_NONCE_LENGTH = 128

Algorithm = Literal["ed25519", "hmac-sha256"]
_ALGORITHMS: dict[str, type[algorithms.HTTPSignatureAlgorithm]] = {
    "ed25519": algorithms.ED25519,
    "hmac-sha256": algorithms.HMAC_SHA256,
}


@dataclass(frozen=True)
class PartnerSigningKey:
    """A partner's verification key: an Ed25519 public key (PEM) or an HMAC-SHA256 shared secret."""

    key_id: str
    algorithm: Algorithm
    key: bytes


@dataclass(frozen=True)
class VerifiedSignature:
    key_id: str
    nonce: str
    created: dt.datetime
    covered_components: tuple[str, ...]


class SignatureRejected(Exception):
    """Why a signed request was refused; `code` is stable, `detail` is for humans (en)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class NonceStore(Protocol):
    async def claim(self, key_id: str, nonce: str, created: dt.datetime) -> bool:
        """Record the nonce for this key; False when it was already accepted once."""
        ...


class MemoryNonceStore:
    """For a single process (tests, tools); the gateway uses `SqlNonceStore`."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    async def claim(self, key_id: str, nonce: str, created: dt.datetime) -> bool:
        if (key_id, nonce) in self._seen:
            return False
        self._seen.add((key_id, nonce))
        return True


class SqlNonceStore:
    """Claims a nonce with one INSERT against a table with UNIQUE (key_id, nonce).

    The table needs the columns `key_id`, `nonce`, `created` (signature creation time) and a
    unique constraint on (key_id, nonce); `gateway.nonces.request_nonce` is that table. Rows
    older than `MAX_AGE` plus clock skew can be purged by `purge(...)`: a signature that old is
    refused as stale before its nonce is ever looked at, so forgetting it cannot admit a replay.
    """

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self._engine = engine
        self._table = table

    async def claim(self, key_id: str, nonce: str, created: dt.datetime) -> bool:
        statement = (
            pg_insert(self._table)
            .values(key_id=key_id, nonce=nonce, created=created)
            .on_conflict_do_nothing(index_elements=["key_id", "nonce"])
            .returning(self._table.c.nonce)
        )
        async with self._engine.begin() as connection:
            claimed = (await connection.execute(statement)).first()
        return claimed is not None

    async def purge(self, now: dt.datetime | None = None) -> int:
        cutoff = (now or dt.datetime.now(dt.UTC)) - MAX_AGE - HTTPMessageVerifier.max_clock_skew
        async with self._engine.begin() as connection:
            result = await connection.execute(self._table.delete().where(self._table.c.created < cutoff))
        return int(result.rowcount or 0)


class _OneKeyResolver(HTTPSignatureKeyResolver):
    def __init__(self, key: PartnerSigningKey) -> None:
        self._key = key

    def resolve_public_key(self, key_id: str) -> bytes | None:
        return self._key.key if key_id == self._key.key_id else None

    def resolve_private_key(self, key_id: str) -> bytes:
        raise KeyError(key_id)


def _verifier(key: PartnerSigningKey) -> HTTPMessageVerifier:
    return HTTPMessageVerifier(signature_algorithm=_ALGORITHMS[key.algorithm], key_resolver=_OneKeyResolver(key))


def _reject_reason(error: Exception) -> SignatureRejected:
    text = str(error)
    lowered = text.lower()
    if "maximum allowable age" in lowered or "expired" in lowered or "in the future" in lowered:
        return SignatureRejected("signature_stale", f"The signature is older than {MAX_AGE} or not yet valid: {text}")
    if "not covered" in lowered or "requires a signed content-digest" in lowered:
        return SignatureRejected(
            "signature_coverage", f"The signature must cover {', '.join(REQUIRED_COMPONENTS)}: {text}"
        )
    if "digest" in lowered:
        return SignatureRejected(
            "content_digest_mismatch", f"The body does not match the signed Content-Digest: {text}"
        )
    if "verification key" in lowered:
        return SignatureRejected("unknown_key", "The signature's keyid is not this partner's signing key.")
    if "header field to be present" in lowered:
        return SignatureRejected("signature_missing", text)
    return SignatureRejected("signature_invalid", text or "The signature does not verify.")


async def verify_signed_request(
    *,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    key: PartnerSigningKey,
    nonces: NonceStore,
) -> VerifiedSignature:
    """Verify `Content-Digest` and the RFC 9421 signature of one inbound partner request.

    `url` is the request URL as the partner addressed it (scheme, host, path, query).
    Raises `SignatureRejected` with one of the codes: signature_missing, content_digest_missing,
    content_digest_mismatch, signature_invalid, signature_coverage, unknown_key,
    signature_stale, nonce_missing, nonce_replayed.
    """
    message = httpx.Request(method.upper(), url, headers=list(headers), content=body)
    if "signature" not in message.headers or "signature-input" not in message.headers:
        raise SignatureRejected("signature_missing", "Signed requests need Signature and Signature-Input headers.")
    if "content-digest" not in message.headers:
        raise SignatureRejected("content_digest_missing", "Signed requests need a Content-Digest header (RFC 9530).")
    try:
        ContentDigest.verify(message.headers["content-digest"], body)
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as error:
        raise SignatureRejected(
            "content_digest_mismatch", f"The body does not match its Content-Digest: {error}"
        ) from error

    try:
        results: list[VerifyResult] = _verifier(key).verify(
            message, max_age=MAX_AGE, require_components=REQUIRED_COMPONENTS, body=body
        )
    except (InvalidSignature, HTTPMessageSignaturesException) as error:
        raise _reject_reason(error) from error
    if len(results) != 1:
        raise SignatureRejected("signature_invalid", "Exactly one signature is expected.")
    result = results[0]

    nonce = result.parameters.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise SignatureRejected("nonce_missing", "The signature must carry a nonce parameter.")
    if len(nonce) > MAX_NONCE_LENGTH:
        raise SignatureRejected("nonce_missing", f"The nonce is longer than {MAX_NONCE_LENGTH} characters.")
    created_value = result.parameters.get("created")
    assert isinstance(created_value, int)  # require_created is on and the library checks the type
    created = dt.datetime.fromtimestamp(created_value, tz=dt.UTC)
    if not await nonces.claim(key.key_id, nonce, created):
        raise SignatureRejected("nonce_replayed", "This nonce was already accepted once; replays are refused.")
    return VerifiedSignature(
        key_id=key.key_id,
        nonce=nonce,
        created=created,
        covered_components=tuple(name for name in result.covered_components if name != '"@signature-params"'),
    )


__all__ = [
    "MAX_AGE",
    "REQUIRED_COMPONENTS",
    "MemoryNonceStore",
    "NonceStore",
    "PartnerSigningKey",
    "SignatureRejected",
    "SqlNonceStore",
    "VerifiedSignature",
    "verify_signed_request",
]
