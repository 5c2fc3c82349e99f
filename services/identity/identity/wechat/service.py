"""WeChat mini-program sign-in (`jscode2session`) and phone binding (`getuserphonenumber`).

The account is keyed by (appid, openid), and by `unionid` across the developer's apps when WeChat
sends one; a first login creates it with no grants. Two concurrent first logins of one user make
one account: the identity row's primary key decides, and the loser drops the account it made.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from identity.abuse import AbuseLimits
from identity.accounts.phones import last_four, normalise_phone
from identity.accounts.schemas import AccountRead
from identity.accounts.service import my_account, on_phone_verified
from identity.adapters.wechat import HIGH_RISK_USER, INVALID_CODE, TOO_FREQUENT, WeChatClient, WeChatError
from identity.audit.repository import AuditRepository
from identity.caller import Caller
from identity.sealing import Sealer
from identity.sessions.schemas import TokenPair
from identity.sessions.service import start_session
from identity.settings import Settings
from identity.wechat.exceptions import (
    PhoneNotMainland,
    WeChatCodeInvalid,
    WeChatRateLimited,
    WeChatUnavailable,
    WeChatUserRisky,
)
from identity.wechat.repository import WeChatRepository
from identity.wechat.schemas import MiniProgramSignIn, PhoneBinding
from identity.wechat.tokens import DatabaseAccessTokenStore
from shared.auth import Identity
from shared.errors import ProblemError
from shared.uow import UnitOfWork

CODE_USED = 40163
SEALING_LABEL = "binjiang identity wechat v1"


def problem_of(error: WeChatError) -> ProblemError:
    """WeChat's errcode as the platform's answer; anything unexpected is WeChat being unavailable."""
    if error.errcode in (INVALID_CODE, CODE_USED):
        return WeChatCodeInvalid(errors=[{"detail": "not a valid WeChat code", "pointer": "/code"}])
    if error.errcode == TOO_FREQUENT:
        return WeChatRateLimited(headers={"Retry-After": str(error.retry_after_seconds)})
    if error.errcode == HIGH_RISK_USER:
        return WeChatUserRisky()
    return WeChatUnavailable(headers={"Retry-After": "5"})


async def _refused(uow: UnitOfWork, caller: Caller, action: str, error: WeChatError, account: uuid.UUID | None) -> None:
    await uow.repository(AuditRepository).add_now(
        str(account) if account else "anonymous",
        action,
        account_id=account,
        source_ip=caller.ip,
        detail={"method": "wechat", "errcode": error.errcode},
    )


async def sign_in(uow: UnitOfWork, body: MiniProgramSignIn, caller: Caller) -> TokenPair:
    """A `wx.login()` code for a session; the user's account, created at the first login."""
    limits: AbuseLimits = uow.app.state.abuse_limits
    await limits.hit("wechat_login", caller.ip)
    settings: Settings = uow.app.state.settings
    client: WeChatClient = uow.app.state.wechat
    try:
        session = await client.code_to_session(body.code)
    except WeChatError as error:
        await _refused(uow, caller, "login_failed", error, None)
        raise problem_of(error) from None
    sealer: Sealer = uow.app.state.wechat_sealer
    appid = settings.wechat_appid
    sealed = sealer.seal(session.session_key, f"{appid}:{session.openid}")
    identities = uow.repository(WeChatRepository)
    account_id = await identities.account_of(appid, session.openid)
    if account_id is not None:
        await identities.remember_login(appid, session.openid, session.unionid, sealed)
    else:
        union = await identities.account_of_union(session.unionid) if session.unionid else None
        account_id = union or await identities.new_account()
        if not await identities.link(appid, session.openid, session.unionid, account_id, sealed):
            if union is None:
                await identities.drop_account(account_id)  # a concurrent first login won
            account_id = await identities.account_of(appid, session.openid)
            assert account_id is not None  # the winner's row is committed (ON CONFLICT waited for it)
            await identities.remember_login(appid, session.openid, session.unionid, sealed)
    return await start_session(uow, account_id, "wechat", caller)


async def bind_phone(uow: UnitOfWork, identity: Identity, body: PhoneBinding, caller: Caller) -> AccountRead:
    """The phone WeChat vouches for becomes the account's verified phone (and may make it a representative)."""
    account_id = uuid.UUID(identity.subject) if _is_uuid(identity.subject) else None
    if account_id is None:
        return await my_account(uow, identity)  # ACCOUNT_NOT_FOUND, as for any made-up subject
    client: WeChatClient = uow.app.state.wechat
    try:
        number = await client.phone_number(body.code)
    except WeChatError as error:
        await _refused(uow, caller, "phone_binding_failed", error, account_id)
        raise problem_of(error) from None
    try:
        phone = normalise_phone(number)
    except ValueError:
        raise PhoneNotMainland(errors=[{"detail": "not a mainland mobile number", "pointer": "/code"}]) from None
    await uow.repository(WeChatRepository).bind_phone(account_id, phone)
    uow.repository(AuditRepository).add(
        identity.subject,
        "phone_bound",
        account_id=account_id,
        source_ip=caller.ip,
        detail={"method": "wechat", "phone_last4": last_four(phone)},
    )
    await on_phone_verified(uow, account_id)
    return await my_account(uow, identity)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def wechat_client(app: FastAPI) -> contextlib.AbstractAsyncContextManager[None]:
    """The app resource: the WeChat client with its HTTP client and the database token store."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        sealer = Sealer(settings.key_encryption_secret.get_secret_value(), SEALING_LABEL)
        app.state.wechat_sealer = sealer
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
            app.state.wechat = WeChatClient(
                http,
                base_url=settings.wechat_base_url,
                appid=settings.wechat_appid,
                secret=settings.wechat_secret.get_secret_value(),
                tokens=DatabaseAccessTokenStore(app, settings.wechat_appid, sealer),
            )
            yield

    return opened()
