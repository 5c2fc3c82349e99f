"""`/v1/auth/sms/*`: a code by text message, then the code for a session (anonymous: the code is the credential)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.caller import CallerDep
from identity.sessions.router import NO_STORE
from identity.sessions.schemas import TokenPair
from identity.sms import service
from identity.sms.schemas import CodeRequest, CodeSent, SmsSignIn
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/auth/sms", tags=["auth"])
CODES_PATH = "/v1/auth/sms/codes"
SESSION_PATH = "/v1/auth/sms/session"


@router.post(
    "/codes",
    status_code=202,
    summary="Text me a sign-in code",
    responses=problem_responses(422, 429, 503),
)
async def send_code(body: CodeRequest, uow: UnitOfWorkDep, caller: CallerDep) -> CodeSent:
    """Six digits, valid 5 minutes; one per number a minute and ten a day (429 with `Retry-After`).

    The answer is the same whether the number has an account or not."""
    return await service.send_code(uow, body, caller)


@router.post(
    "/session",
    summary="Sign in with the texted code",
    responses=problem_responses(400, 403, 422, 429),
)
async def sign_in(body: SmsSignIn, uow: UnitOfWorkDep, caller: CallerDep, response: Response) -> TokenPair:
    """A first sign-in creates the number's account (no roles but `account` until a grant).

    Five wrong codes and the code is dead (`SMS_CODE_INVALID` for wrong, used, expired or dead alike)."""
    response.headers.update(NO_STORE)
    return await service.sign_in(uow, body, caller)
