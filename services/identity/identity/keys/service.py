"""Signing keys: the one that signs, the set that verifies, and rotation.

Private keys live only in `identity.signing_key`, sealed with `IDENTITY_KEY_ENCRYPTION_SECRET`;
each process keeps the keys it unsealed in memory (`KeyRing`) and asks the database which key is
active for every token it signs, so a rotation by any replica or the CLI takes effect at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from identity.audit.repository import AuditRepository
from identity.keys import crypto
from identity.keys.models import SigningKey
from identity.keys.repository import SigningKeyRepository
from identity.keys.schemas import Jwks, PublicJwk, Rotation
from identity.settings import Settings
from shared.uow import UnitOfWork, unit_of_work


class KeyRing:
    """The private keys this process has unsealed, by kid (never logged, never returned)."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._keys: dict[str, ec.EllipticCurvePrivateKey] = {}

    def private_key(self, row: SigningKey) -> ec.EllipticCurvePrivateKey:
        key = self._keys.get(row.kid)
        if key is None:
            key = crypto.unseal(row.private_key_sealed, self._secret, row.kid)
            self._keys[row.kid] = key
        return key

    def cached(self, kid: str) -> ec.EllipticCurvePrivateKey | None:
        """The key of `kid` if this process has unsealed it already."""
        return self._keys.get(kid)

    def __repr__(self) -> str:
        return f"KeyRing({len(self._keys)} keys)"


def _settings(uow: UnitOfWork) -> Settings:
    settings: Settings = uow.app.state.settings
    return settings


def _new_key(settings: Settings) -> SigningKey:
    private = crypto.generate()
    jwk = crypto.public_jwk(private)
    sealed = crypto.seal(private, settings.key_encryption_secret.get_secret_value(), jwk["kid"])
    return SigningKey(kid=jwk["kid"], algorithm="ES256", public_jwk=jwk, private_key_sealed=sealed)


async def ensure_signing_key(uow: UnitOfWork) -> SigningKey:
    """The active key, created when there is none (replicas starting together create one)."""
    keys = uow.repository(SigningKeyRepository)
    active = await keys.active()
    if active is not None:
        return active
    await keys.lock()
    active = await keys.active()
    if active is None:
        active = _new_key(_settings(uow))
        await keys.add(active)
    return active


async def signer(uow: UnitOfWork) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """The kid and private key that sign now."""
    active = await ensure_signing_key(uow)
    ring: KeyRing = uow.app.state.key_ring
    return active.kid, ring.private_key(active)


async def rotate(uow: UnitOfWork, *, actor: str, source_ip: str | None) -> Rotation:
    """A new key signs from this commit on; the old one verifies until its last token has expired."""
    settings = _settings(uow)
    keys = uow.repository(SigningKeyRepository)
    await keys.lock()
    retired = await keys.retire_active(
        dt.timedelta(seconds=settings.access_token_seconds + settings.key_leeway_seconds)
    )
    fresh = _new_key(settings)
    await keys.add(fresh)
    uow.repository(AuditRepository).add(
        actor,
        "key_rotated",
        account_id=None,
        source_ip=source_ip,
        detail={"signing_kid": fresh.kid, "retired_kid": retired},
    )
    return Rotation(signing_kid=fresh.kid, retired_kid=retired)


async def key_set(uow: UnitOfWork) -> Jwks:
    """The public keys that verify the platform's tokens now."""
    published = await uow.repository(SigningKeyRepository).published()
    if not published:
        published = [await ensure_signing_key(uow)]
    return Jwks(keys=[PublicJwk.model_validate(row.public_jwk) for row in published])


def key_ring(app: FastAPI) -> contextlib.AbstractAsyncContextManager[None]:
    """The long-lived resource: this process's `KeyRing`, and an active key before the first request."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        app.state.key_ring = KeyRing(settings.key_encryption_secret.get_secret_value())
        async with unit_of_work(app) as uow:
            await ensure_signing_key(uow)
        yield

    return opened()
