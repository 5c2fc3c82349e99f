"""`/v1/auth/token`, `/v1/auth/logout` (the refresh token is the credential) and `/v1/auth/sessions`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from identity.caller import CallerDep, caller
from identity.roles import ACCOUNT_ROLES
from identity.sessions import service
from identity.sessions.schemas import RefreshRequest, SessionList, TokenPair
from shared.auth import CurrentIdentity, allow
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/auth", tags=["auth"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/token", summary="Exchange a refresh token for a new pair", responses=problem_responses(401, 422))
async def refresh_token(body: RefreshRequest, uow: UnitOfWorkDep, request: Request, response: Response) -> TokenPair:
    """The refresh token is used up; keep the new one. Sending a used one again signs its session out.

    Served by the express layer (shared/express.py): the 9 am wave of refreshes is the identity
    service's hot path."""
    response.headers.update(NO_STORE)
    return await service.refresh(uow, body.refresh_token, caller(request))


@router.post("/logout", status_code=204, summary="Sign out this device", responses=problem_responses(422))
async def logout(body: RefreshRequest, uow: UnitOfWorkDep, caller: CallerDep) -> Response:
    """Ends the refresh token's session; its access tokens expire on their own within 15 minutes."""
    await service.logout(uow, body.refresh_token, caller)
    return Response(status_code=204)


@router.get("/sessions", summary="My signed-in devices", dependencies=[allow(*ACCOUNT_ROLES)])
async def list_sessions(uow: UnitOfWorkDep, identity: CurrentIdentity) -> SessionList:
    """Live sessions of the caller's account, most recently used first."""
    return await service.my_sessions(uow, identity)


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    summary="Sign out one of my devices",
    dependencies=[allow(*ACCOUNT_ROLES)],
    responses=problem_responses(404),
)
async def delete_session(
    session_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> Response:
    """Revokes the session: its refresh token stops working at once."""
    await service.end_session(uow, identity, session_id, caller)
    return Response(status_code=204)
