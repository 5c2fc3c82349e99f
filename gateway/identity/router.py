"""`GET /v1/auth/me`: the identity the gateway forwards for these credentials."""

from __future__ import annotations

from fastapi import APIRouter

from shared.auth import USER_ROLES, CurrentIdentity, Identity, allow

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.get("/me", summary="Who the gateway thinks you are", dependencies=[allow(*USER_ROLES)])
async def me(identity: CurrentIdentity) -> Identity:
    """The verified identity (roles and scopes) the services will receive."""
    return identity
