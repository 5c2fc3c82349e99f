"""Rules of the partners domain: creating partners, issuing and revoking their API keys."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.partners import keys, repository
from gateway.partners.exceptions import ApiKeyNotFound, PartnerNotFound, TooManyActiveKeys
from gateway.partners.models import MAX_ACTIVE_KEYS, ApiKey, Partner
from gateway.partners.schemas import ApiKeyCreated, ApiKeyOut, PartnerCreate, PartnerOut
from shared.errors import InvalidCursor
from shared.pagination import decode_cursor, encode_cursor


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
    )


async def create_partner(session: AsyncSession, data: PartnerCreate) -> PartnerOut:
    """Register a bank or MCN partner (no key yet)."""
    partner = await repository.add_partner(session, Partner(kind=data.kind, name=data.name, contact=data.contact))
    return partner_out(partner, [])


async def list_partners(session: AsyncSession, limit: int, cursor: str | None) -> tuple[list[PartnerOut], str | None]:
    """One page of partners in creation order, each with its active keys."""
    after = None
    if cursor is not None:
        created, identifier = decode_cursor(cursor, 2)
        try:
            after = (dt.datetime.fromisoformat(created), uuid.UUID(identifier))
        except ValueError as exc:
            raise InvalidCursor(errors=[{"detail": "malformed cursor", "parameter": "cursor"}]) from exc
    rows = list(await repository.list_partners(session, limit + 1, after))
    page, more = rows[:limit], len(rows) > limit
    by_partner: dict[uuid.UUID, list[ApiKey]] = {partner.id: [] for partner in page}
    for key in await repository.active_keys(session, list(by_partner)):
        by_partner[key.partner_id].append(key)
    next_cursor = encode_cursor([page[-1].created_at.isoformat(), page[-1].id]) if more else None
    return [partner_out(partner, by_partner[partner.id]) for partner in page], next_cursor


async def create_key(session: AsyncSession, partner_id: uuid.UUID) -> ApiKeyCreated:
    """Issue a key in a free slot; the whole key is returned once and only its hash is stored."""
    partner = await repository.get_partner(session, partner_id, lock=True)
    if partner is None:
        raise PartnerNotFound()
    taken = {key.slot for key in await repository.active_keys(session, [partner_id])}
    free = [slot for slot in range(1, MAX_ACTIVE_KEYS + 1) if slot not in taken]
    if not free:
        raise TooManyActiveKeys("Revoke one of the two active keys first")
    key_id, full_key = keys.generate()
    _, secret = keys.parse(full_key) or ("", "")
    key = await repository.add_key(
        session, ApiKey(partner_id=partner_id, key_id=key_id, slot=free[0], secret_sha256=keys.digest(secret))
    )
    return ApiKeyCreated(**key_out(key).model_dump(), api_key=full_key)


async def revoke_key(session: AsyncSession, partner_id: uuid.UUID, key_id: str) -> ApiKeyOut:
    """Revoke an active key of this partner."""
    key = await repository.revoke_key(session, partner_id, key_id)
    if key is None:
        if await repository.get_partner(session, partner_id) is None:
            raise PartnerNotFound()
        raise ApiKeyNotFound()
    return key_out(key)
