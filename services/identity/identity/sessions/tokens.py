"""Minting: the ES256 access token (kid in the header) and opaque refresh tokens (only their hash kept)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid

import jwt

from identity.keys.service import KeyRing, signer
from identity.settings import Settings
from shared.auth import Identity
from shared.uow import UnitOfWork


def new_refresh_token() -> tuple[str, bytes]:
    """256 random bits as base64url (43 characters), and the sha256 stored in its place."""
    token = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    return token, digest(token)


def digest(token: str) -> bytes:
    # A fast hash is enough for a secret of 256 random bits (nothing to brute-force).
    return hashlib.sha256(token.encode("ascii")).digest()


async def access_token(uow: UnitOfWork, identity: Identity, session_id: uuid.UUID, *, kid: str | None = None) -> str:
    """The signed access token; `kid`, when the caller already read which key is active, spares a query."""
    settings: Settings = uow.app.state.settings
    ring: KeyRing = uow.app.state.key_ring
    private_key = ring.cached(kid) if kid is not None else None
    if kid is None or private_key is None:
        kid, private_key = await signer(uow)
    now = int(time.time())
    claims = identity.to_claims() | {
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_token_seconds,
        "jti": uuid.uuid4().hex,
        "sid": str(session_id),
    }
    return jwt.encode(claims, private_key, algorithm="ES256", headers={"kid": kid, "typ": "JWT"})
