"""Development user tokens, signed with the local dev key (the CLI and the tests use this)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from gateway.settings import AUDIENCE, DEV_ISSUER
from shared.auth import Identity


def mint_user_token(
    identity: Identity,
    private_key: str | Path,
    *,
    ttl_seconds: int = 3600,
    issuer: str = DEV_ISSUER,
    audience: str = AUDIENCE,
    algorithm: str = "ES256",
    now: float | None = None,
) -> str:
    """A JWT such as the platform's issuer would give `identity` (PEM text or a path to it)."""
    key = private_key.read_text() if isinstance(private_key, Path) else private_key
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = identity.to_claims() | {
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=algorithm)
