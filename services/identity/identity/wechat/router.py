"""`/v1/auth/wechat/*`: the mini-program's sign-in (anonymous: the code is the credential) and phone binding."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.accounts.schemas import AccountRead
from identity.caller import CallerDep
from identity.roles import ACCOUNT_ROLES
from identity.sessions.router import NO_STORE
from identity.sessions.schemas import TokenPair
from identity.wechat import service
from identity.wechat.schemas import MiniProgramSignIn, PhoneBinding
from shared.auth import CurrentIdentity, allow
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/auth/wechat", tags=["auth"])
MINI_PROGRAM_PATH = "/v1/auth/wechat/mini-program"


@router.post(
    "/mini-program",
    summary="Sign in with the mini-program's wx.login() code",
    responses=problem_responses(400, 403, 422, 429, 503),
)
async def mini_program(body: MiniProgramSignIn, uow: UnitOfWorkDep, caller: CallerDep, response: Response) -> TokenPair:
    """The server asks WeChat (`jscode2session`); the first login creates the account (role `account` only).

    40029/40163 -> 400 `WECHAT_CODE_INVALID`, 45011 -> 429 `WECHAT_RATE_LIMITED` (`Retry-After`),
    40226 -> 403 `WECHAT_USER_RISKY`, -1 or no answer -> 503 `WECHAT_UNAVAILABLE`."""
    response.headers.update(NO_STORE)
    return await service.sign_in(uow, body, caller)


@router.post(
    "/phone",
    summary="Bind the phone of the getPhoneNumber button",
    dependencies=[allow(*ACCOUNT_ROLES)],
    responses=problem_responses(400, 403, 404, 409, 422, 429, 503),
)
async def bind_phone(
    body: PhoneBinding, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> AccountRead:
    """WeChat says which number (`getuserphonenumber`); it becomes the account's verified phone, and
    a registry representative record naming it gives `enterprise_rep`. 409 `PHONE_TAKEN` when the
    number belongs to another account."""
    return await service.bind_phone(uow, identity, body, caller)
