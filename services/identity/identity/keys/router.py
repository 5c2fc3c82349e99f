"""`/.well-known/jwks.json` (public, through the gateway) and `/internal/jwks.json` (the gateway's source)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.keys import service
from identity.keys.schemas import Jwks
from shared.uow import UnitOfWorkDep

router = APIRouter(tags=["keys"])

JWKS_PATH = "/.well-known/jwks.json"
INTERNAL_JWKS_PATH = "/internal/jwks.json"
# Clients may keep the set a minute; the gateway refetches at once on a kid it does not know.
CACHE_CONTROL = "public, max-age=60"


@router.get(JWKS_PATH, summary="The public keys that verify the platform's access tokens")
async def public_jwks(uow: UnitOfWorkDep, response: Response) -> Jwks:
    """ES256 keys by `kid`: the one signing now and any retired one whose tokens may still be alive."""
    response.headers["Cache-Control"] = CACHE_CONTROL
    return await service.key_set(uow)


@router.get(INTERNAL_JWKS_PATH, summary="The key set, for the gateway inside the platform")
async def internal_jwks(uow: UnitOfWorkDep, response: Response) -> Jwks:
    """The same set as `/.well-known/jwks.json`, on the service's own address."""
    response.headers["Cache-Control"] = CACHE_CONTROL
    return await service.key_set(uow)
