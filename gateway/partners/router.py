"""`/v1/partners`: register banks and MCN agencies, issue and revoke their API keys (platform_admin)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from gateway.database import platform_tables
from gateway.partners import service
from gateway.partners.dependencies import AuthenticatorDep
from gateway.partners.schemas import ApiKeyCreated, ApiKeyOut, PartnerCreate, PartnerOut, SigningKeyPut
from shared.auth import CurrentIdentity, Role, allow
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.pagination import Cursor, Limit, Page, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/partners", tags=["partners"])

KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="The `key_id` part of the key")]


@router.post(
    "",
    status_code=201,
    response_model=PartnerOut,
    summary="Register a partner (bank or MCN agency)",
    dependencies=[allow(Role.platform_admin)],
    responses=problem_responses(409, 422),
)
async def create_partner(
    body: PartnerCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Create a partner; it has no key until one is issued. Accepts `Idempotency-Key`."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    replay = await idempotency.begin(body)
    if replay is not None:
        return replay
    created = await service.create_partner(uow, body)
    location = f"/v1/partners/{created.id}"
    return await idempotency.complete(created, headers={"Location": location})


@router.get(
    "",
    summary="List partners with their active keys",
    dependencies=[allow(Role.platform_admin)],
    responses=problem_responses(400),
)
async def list_partners(
    request: Request, response: Response, uow: UnitOfWorkDep, limit: Limit = 20, cursor: Cursor = None
) -> Page[PartnerOut]:
    """Partners in registration order; keys are listed without their secrets."""
    items, next_cursor = await service.list_partners(uow, limit, cursor)
    link_next(request, response, next_cursor)
    return Page[PartnerOut](items=items, next_cursor=next_cursor)


@router.post(
    "/{partner_id}/api-keys",
    status_code=201,
    summary="Issue an API key (the secret is shown once)",
    dependencies=[allow(Role.platform_admin)],
    responses=problem_responses(404, 409),
)
async def create_api_key(
    partner_id: uuid.UUID, uow: UnitOfWorkDep, authenticator: AuthenticatorDep, response: Response
) -> ApiKeyCreated:
    """A partner holds at most two active keys, so a key can be rotated without downtime."""
    created = await service.create_key(uow, partner_id)
    authenticator.forget_api_key(created.key_id, revoked=False)
    response.headers["Cache-Control"] = "no-store"
    return created


@router.delete(
    "/{partner_id}/api-keys/{key_id}",
    summary="Revoke an API key",
    dependencies=[allow(Role.platform_admin)],
    responses=problem_responses(404),
)
async def revoke_api_key(
    partner_id: uuid.UUID, key_id: KeyId, uow: UnitOfWorkDep, authenticator: AuthenticatorDep
) -> ApiKeyOut:
    """Refused at once by this gateway process; other replicas within `GATEWAY_API_KEY_CACHE_SECONDS`."""
    revoked = await service.revoke_key(uow, partner_id, key_id)
    authenticator.forget_api_key(key_id, revoked=True)
    return revoked


@router.put(
    "/{partner_id}/signing-key",
    summary="Install the partner's request-signing key (RFC 9421, Ed25519)",
    dependencies=[allow(Role.platform_admin)],
    responses=problem_responses(404, 409, 422),
)
async def put_signing_key(
    partner_id: uuid.UUID, body: SigningKeyPut, uow: UnitOfWorkDep, authenticator: AuthenticatorDep
) -> PartnerOut:
    """With `required`, the gateway refuses the partner's requests unless signed with this key (401).

    Applies at once in this gateway process; other replicas within `GATEWAY_API_KEY_CACHE_SECONDS`.
    """
    updated = await service.set_signing_key(uow, partner_id, body)
    authenticator.forget_partner(partner_id)
    return updated


@router.delete(
    "/{partner_id}/signing-key",
    summary="Remove the partner's request-signing key",
    dependencies=[allow(Role.platform_admin)],
    responses=problem_responses(404),
)
async def delete_signing_key(partner_id: uuid.UUID, uow: UnitOfWorkDep, authenticator: AuthenticatorDep) -> PartnerOut:
    """The partner's requests are authenticated by API key alone again."""
    updated = await service.remove_signing_key(uow, partner_id)
    authenticator.forget_partner(partner_id)
    return updated
