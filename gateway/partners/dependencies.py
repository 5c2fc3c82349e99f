"""Dependencies of the partners routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.authn import Authenticator


async def authenticator(request: Request) -> Authenticator:
    """The process's authenticator, so a revocation takes effect here at once."""
    found: Authenticator = request.app.state.authenticator
    return found


AuthenticatorDep = Annotated[Authenticator, Depends(authenticator)]
