"""SMS sign-in: a six-digit code to the phone, then the code for a session.

The limits live where they hold for every replica: one send per phone per `sms_resend_seconds`
and ten a day, and five wrong tries per code, in the challenge row (conditional statements); the
per-address limits in the rate-limit storage (`identity.abuse`). A new phone gets an account at
its first successful sign-in, so asking for a code says nothing about whether a number is known.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator

import httpx
import structlog
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import FastAPI

from identity.abuse import AbuseLimits
from identity.accounts.phones import last_four
from identity.accounts.repository import AccountRepository
from identity.accounts.service import on_phone_verified
from identity.adapters.sms import SmsError, SmsSender
from identity.audit.repository import AuditRepository
from identity.caller import Caller
from identity.sessions.schemas import TokenPair
from identity.sessions.service import start_session
from identity.settings import Settings
from identity.sms.exceptions import SmsCodeInvalid, SmsDailyLimit, SmsTooFrequent, SmsUnavailable
from identity.sms.repository import SmsRepository
from identity.sms.schemas import CodeRequest, CodeSent, SmsSignIn
from shared.i18n import Text
from shared.uow import UnitOfWork

logger = structlog.get_logger("identity.sms")
_DIGEST_INFO = b"binjiang identity sms codes v1"


def code_key(settings: Settings) -> bytes:
    """The HMAC key of stored codes, derived from the service's sealing secret."""
    secret = settings.key_encryption_secret.get_secret_value().encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DIGEST_INFO).derive(secret)


def code_digest(key: bytes, phone: str, code: str) -> bytes:
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).digest()


async def send_code(uow: UnitOfWork, body: CodeRequest, caller: Caller) -> CodeSent:
    """A new code to `body.phone`, replacing any earlier one."""
    settings: Settings = uow.app.state.settings
    limits: AbuseLimits = uow.app.state.abuse_limits
    await limits.hit("sms_send", caller.ip)
    code = f"{secrets.randbelow(1_000_000):06d}"
    digest = code_digest(uow.app.state.sms_code_key, body.phone, code)
    challenges = uow.repository(SmsRepository)
    refusal = await challenges.replace_code(
        body.phone, digest, lifetime=settings.sms_code_seconds, resend_after=settings.sms_resend_seconds
    )
    if refusal is not None:
        error = SmsDailyLimit if refusal.daily else SmsTooFrequent
        raise error(headers={"Retry-After": str(refusal.retry_after)})
    sender: SmsSender = uow.app.state.sms_sender
    try:
        await sender.send(body.phone, settings.sms_template_code, {"code": code})
    except SmsError as exc:
        await challenges.kill(body.phone, digest)
        logger.warning("sms_send_failed", provider_code=exc.code)
        raise SmsUnavailable() from None
    return CodeSent(expires_in=settings.sms_code_seconds, resend_after=settings.sms_resend_seconds)


async def sign_in(uow: UnitOfWork, body: SmsSignIn, caller: Caller) -> TokenPair:
    """The code for a session; the phone's account, created at its first sign-in."""
    limits: AbuseLimits = uow.app.state.abuse_limits
    await limits.hit("sms_verify", caller.ip)
    digest = code_digest(uow.app.state.sms_code_key, body.phone, body.code)
    if not await uow.repository(SmsRepository).try_code(body.phone, digest):
        await uow.repository(AuditRepository).add_now(
            "anonymous",
            "login_failed",
            account_id=None,
            source_ip=caller.ip,
            detail={"method": "sms", "phone_last4": last_four(body.phone)},
        )
        raise SmsCodeInvalid(errors=[{"pointer": "/code", "detail": Text("验证码无效", "not a valid code").en}])
    account_id = await uow.repository(AccountRepository).for_phone(body.phone)
    await on_phone_verified(uow, account_id)
    return await start_session(uow, account_id, "sms", caller)


def sms_sender(app: FastAPI) -> contextlib.AbstractAsyncContextManager[None]:
    """The app resource: the SMS sender with its own HTTP client, and the code key."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        app.state.sms_code_key = code_key(settings)
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
            app.state.sms_sender = SmsSender(
                http,
                base_url=settings.sms_base_url,
                access_key_id=settings.sms_access_key_id,
                access_key_secret=settings.sms_access_key_secret.get_secret_value(),
                sign_name=settings.sms_sign_name,
            )
            yield

    return opened()
