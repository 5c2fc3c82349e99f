"""`/v1/auth/oidc/start` and `/v1/auth/oidc/callback`: staff sign in through the district's identity provider.

Both are anonymous (identity/public.py): the credential is the provider's authorization code,
bound to the sign-in's state, nonce and PKCE verifier kept here.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.caller import CallerDep
from identity.sessions.schemas import TokenPair
from identity.sso import service
from identity.sso.schemas import OidcCallbackRequest, OidcStart, OidcStartRequest
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/auth/oidc", tags=["auth"])
START_PATH = "/v1/auth/oidc/start"
CALLBACK_PATH = "/v1/auth/oidc/callback"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/start", summary="Start a staff single sign-on", responses=problem_responses(422, 503))
async def start_sign_in(body: OidcStartRequest, uow: UnitOfWorkDep, response: Response) -> OidcStart:
    """Keep `state` (session storage), send the browser to `authorization_url`; the provider sends it
    back to `redirect_uri` with `code` and `state`: check the state is yours, then call the callback."""
    response.headers.update(NO_STORE)
    return await service.start(uow, body.redirect_uri)


@router.post(
    "/callback",
    summary="Finish a staff single sign-on",
    responses=problem_responses(400, 401, 403, 422, 503),
)
async def finish_sign_in(
    body: OidcCallbackRequest, uow: UnitOfWorkDep, caller: CallerDep, response: Response
) -> TokenPair:
    """The sign-in is used up whatever the outcome; the account is the provider subject's (created,
    with no grants, the first time)."""
    response.headers.update(NO_STORE)
    return await service.callback(uow, body.state, body.code, caller)
