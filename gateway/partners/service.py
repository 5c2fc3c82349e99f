"""Rules of the partners domain: creating partners, issuing and revoking their API keys."""

from __future__ import annotations

import datetime as dt
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from gateway.partners import keys
from gateway.partners.exceptions import ApiKeyNotFound, PartnerNotFound, SigningKeyInvalid, TooManyActiveKeys
from gateway.partners.models import MAX_ACTIVE_KEYS, ApiKey, Partner
from gateway.partners.repository import PartnerRepository
from gateway.partners.schemas import (
    ApiKeyCreated,
    ApiKeyOut,
    PartnerCreate,
    PartnerOut,
    SigningKeyOut,
    SigningKeyPut,
)
from shared.errors import InvalidCursor
from shared.pagination import decode_cursor, encode_cursor
from shared.uow import UnitOfWork


def key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        key_id=key.key_id, prefix=f"{keys.PREFIX}{key.key_id}_", created_at=key.created_at, revoked_at=key.revoked_at
    )


def partner_out(partner: Partner, active: list[ApiKey]) -> PartnerOut:
    return PartnerOut(
        id=partner.id,
        kind=partner.kind,
        name=partner.name,
        contact=partner.contact,
        created_at=partner.created_at,
        active_keys=[key_out(key) for key in active],
        signing_key=(
            SigningKeyOut(key_id=partner.signing_key_id, required=partner.require_signatures)
            if partner.signing_key_id is not None
            else None
        ),
    )


async def create_partner(uow: UnitOfWork, data: PartnerCreate) -> PartnerOut:
    """Register a bank or MCN partner (no key yet)."""
    partner = await uow.repository(PartnerRepository).add_partner(
        Partner(kind=data.kind, name=data.name, contact=data.contact)
    )
    return partner_out(partner, [])


async def list_partners(uow: UnitOfWork, limit: int, cursor: str | None) -> tuple[list[PartnerOut], str | None]:
    """One page of partners in creation order, each with its active keys."""
    after = None
    if cursor is not None:
        created, identifier = decode_cursor(cursor, 2)
        try:
            after = (dt.datetime.fromisoformat(created), uuid.UUID(identifier))
        except ValueError as exc:
            raise InvalidCursor(errors=[{"detail": "malformed cursor", "parameter": "cursor"}]) from exc
    rows = list(await uow.repository(PartnerRepository).list_partners(limit + 1, after))
    page, more = rows[:limit], len(rows) > limit
    by_partner: dict[uuid.UUID, list[ApiKey]] = {partner.id: [] for partner in page}
    for key in await uow.repository(PartnerRepository).active_keys(list(by_partner)):
        by_partner[key.partner_id].append(key)
    next_cursor = encode_cursor([page[-1].created_at.isoformat(), page[-1].id]) if more else None
    return [partner_out(partner, by_partner[partner.id]) for partner in page], next_cursor


async def create_key(uow: UnitOfWork, partner_id: uuid.UUID) -> ApiKeyCreated:
    """Issue a key in a free slot; the whole key is returned once and only its hash is stored."""
    partner = await uow.repository(PartnerRepository).get_partner(partner_id, lock=True)
    if partner is None:
        raise PartnerNotFound()
    taken = {key.slot for key in await uow.repository(PartnerRepository).active_keys([partner_id])}
    free = [slot for slot in range(1, MAX_ACTIVE_KEYS + 1) if slot not in taken]
    if not free:
        raise TooManyActiveKeys("Revoke one of the two active keys first")
    key_id, full_key = keys.generate()
    _, secret = keys.parse(full_key) or ("", "")
    key = await uow.repository(PartnerRepository).add_key(
        ApiKey(partner_id=partner_id, key_id=key_id, slot=free[0], secret_sha256=keys.digest(secret))
    )
    return ApiKeyCreated(**key_out(key).model_dump(), api_key=full_key)


async def revoke_key(uow: UnitOfWork, partner_id: uuid.UUID, key_id: str) -> ApiKeyOut:
    """Revoke an active key of this partner."""
    key = await uow.repository(PartnerRepository).revoke_key(partner_id, key_id)
    if key is None:
        if await uow.repository(PartnerRepository).get_partner(partner_id) is None:
            raise PartnerNotFound()
        raise ApiKeyNotFound()
    return key_out(key)


def _ed25519_public_key(pem: str) -> str:
    """The PEM, normalised, when it is an Ed25519 public key; 422 with the field otherwise."""
    try:
        key = load_pem_public_key(pem.strip().encode())
    except ValueError as exc:
        raise SigningKeyInvalid(errors=[{"detail": "not a PEM public key", "pointer": "/public_key_pem"}]) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyInvalid(errors=[{"detail": "only Ed25519 keys are accepted", "pointer": "/public_key_pem"}])
    return pem.strip() + "\n"


async def set_signing_key(uow: UnitOfWork, partner_id: uuid.UUID, data: SigningKeyPut) -> PartnerOut:
    """Install (or replace) the partner's RFC 9421 verification key and whether signing is required."""
    public_key = _ed25519_public_key(data.public_key_pem)
    partner = await uow.repository(PartnerRepository).get_partner(partner_id, lock=True)
    if partner is None:
        raise PartnerNotFound()
    partner.signing_key_id = data.key_id
    partner.signing_public_key = public_key
    partner.require_signatures = data.required
    await uow.flush()  # a keyid of another partner fails here: uq_partner_signing_key_id
    return partner_out(partner, list(await uow.repository(PartnerRepository).active_keys([partner_id])))


async def remove_signing_key(uow: UnitOfWork, partner_id: uuid.UUID) -> PartnerOut:
    """Forget the signing key: the partner's requests are no longer signature-checked."""
    partner = await uow.repository(PartnerRepository).get_partner(partner_id, lock=True)
    if partner is None:
        raise PartnerNotFound()
    partner.signing_key_id = None
    partner.signing_public_key = None
    partner.require_signatures = False
    await uow.flush()
    return partner_out(partner, list(await uow.repository(PartnerRepository).active_keys([partner_id])))
