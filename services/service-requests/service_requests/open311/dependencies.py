"""Dependencies of the Open311 facade: reads need no identity, as GeoReport v2 clients expect."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.auth import IDENTITY_HEADER, Identity, identity_from_token


async def optional_identity(request: Request) -> Identity | None:
    """The caller's identity when the gateway forwarded one (a bad token is still 401); None for anonymous reads."""
    token = request.headers.get(IDENTITY_HEADER)
    if token is None:
        return None
    return identity_from_token(token, request.app.state.token_verifier)


OptionalIdentity = Annotated[Identity | None, Depends(optional_identity)]
