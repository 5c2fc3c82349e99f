"""`POST /v1/auth/admin/session`: platform administrators sign in with password and TOTP (SSO down or not)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.admins import service
from identity.admins.schemas import AdminLoginRequest
from identity.caller import CallerDep
from identity.sessions.schemas import TokenPair
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/auth/admin", tags=["auth"])
SESSION_PATH = "/v1/auth/admin/session"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/session", summary="Sign in as a platform administrator", responses=problem_responses(401, 403, 422, 429))
async def admin_session(
    body: AdminLoginRequest, uow: UnitOfWorkDep, caller: CallerDep, response: Response
) -> TokenPair:
    """Username, password and the authenticator's current code, all required; any wrong one is the
    same 401. Each code signs in once. Five failures lock the credential for 15 minutes (429)."""
    response.headers.update(NO_STORE)
    return await service.login(uow, body.username, body.password, body.totp, caller)
