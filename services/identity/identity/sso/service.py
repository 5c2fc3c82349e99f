"""Staff single sign-on: start (state, nonce, PKCE verifier kept server-side) and the callback
(the sign-in claimed once, the code redeemed with the verifier, the account found or created by
(issuer, subject), a session started)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid

from identity.accounts.exceptions import AccountDisabled
from identity.accounts.repository import AccountRepository
from identity.accounts.service import create_account
from identity.adapters.oidc import DISCOVERY_FAILED, TOKEN_REQUEST_FAILED, OidcClient, OidcError
from identity.audit.repository import AuditRepository
from identity.caller import Caller
from identity.sessions.schemas import TokenPair
from identity.sessions.service import start_session
from identity.settings import Settings
from identity.sso.exceptions import (
    OidcCodeInvalid,
    OidcStateInvalid,
    OidcTokenInvalid,
    OidcUnavailable,
    RedirectUriNotAllowed,
)
from identity.sso.repository import OidcIdentityRepository, OidcLoginRepository
from identity.sso.schemas import OidcStart
from shared.errors import ProblemError
from shared.i18n import Text
from shared.uow import UnitOfWork

METHOD = "oidc"
RETRY_AFTER_SECONDS = 30


def _random() -> str:
    """32 random bytes, base64url without padding (43 characters; a valid RFC 7636 verifier too)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def _digest(state: str) -> bytes:
    return hashlib.sha256(state.encode("ascii")).digest()


def _unavailable() -> OidcUnavailable:
    return OidcUnavailable(headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _client(uow: UnitOfWork) -> OidcClient:
    client: OidcClient | None = getattr(uow.app.state, "oidc_client", None)
    if client is None:  # IDENTITY_OIDC_ISSUER is empty: single sign-on is off
        raise _unavailable()
    return client


def _problem(error: OidcError) -> ProblemError:
    if error.code == DISCOVERY_FAILED:
        return _unavailable()
    if error.code == TOKEN_REQUEST_FAILED:
        return OidcCodeInvalid()
    return OidcTokenInvalid()  # signature, key, issuer, audience, nonce, expiry, claims


async def start(uow: UnitOfWork, redirect_uri: str) -> OidcStart:
    """A new sign-in: where to send the browser, and the state that will come back with the code."""
    settings: Settings = uow.app.state.settings
    if redirect_uri not in settings.oidc_redirect_uris:
        detail = Text("回调地址必须是已登记的地址之一", "redirect_uri must be one of the registered redirect URIs")
        raise RedirectUriNotAllowed(detail, errors=[{"detail": detail.en, "pointer": "/redirect_uri"}])
    client = _client(uow)
    state, nonce, verifier = _random(), _random(), _random()
    try:
        url = await client.authorization_url(
            state=state, nonce=nonce, code_verifier=verifier, redirect_uri=redirect_uri
        )
    except OidcError as error:
        raise _problem(error) from None
    logins = uow.repository(OidcLoginRepository)
    await logins.purge_expired()
    await logins.add(_digest(state), nonce, verifier, redirect_uri, settings.oidc_login_seconds)
    return OidcStart(authorization_url=url, state=state, expires_in=settings.oidc_login_seconds)


async def _refused(uow: UnitOfWork, caller: Caller, reason: str, account_id: uuid.UUID | None = None) -> None:
    """The failed sign-in's audit record, written at once (the request's unit of work rolls back)."""
    await uow.repository(AuditRepository).add_now(
        str(account_id) if account_id else "anonymous",
        "login_failed",
        account_id=account_id,
        source_ip=caller.ip,
        detail={"method": METHOD, "reason": reason},
    )


async def _account_of(uow: UnitOfWork, issuer: str, subject: str, name: str | None, caller: Caller) -> uuid.UUID:
    """The account signed in as (issuer, subject); a new one, with no grants, the first time."""
    identities = uow.repository(OidcIdentityRepository)
    account_id = await identities.touch(issuer, subject)
    if account_id is not None:
        return account_id
    await identities.lock_subject(issuer, subject)
    account_id = await identities.touch(issuer, subject)  # a concurrent first sign-in may have won
    if account_id is not None:
        return account_id
    account = await create_account(uow, display_name=name[:100] if name else None)
    await identities.link(issuer, subject, account.id)
    uow.repository(AuditRepository).add(
        "oidc",
        "account_created",
        account_id=account.id,
        source_ip=caller.ip,
        detail={"method": METHOD, "issuer": issuer, "subject": subject},
    )
    return account.id


async def callback(uow: UnitOfWork, state: str, code: str, caller: Caller) -> TokenPair:
    """Finish a sign-in once: redeem the code with the kept verifier and nonce, then start a session."""
    claimed = await uow.repository(OidcLoginRepository).claim_now(_digest(state))
    if claimed is None:
        await _refused(uow, caller, OidcStateInvalid.code)
        raise OidcStateInvalid()
    client = _client(uow)
    try:
        claims = await client.exchange(
            code=code, code_verifier=claimed.code_verifier, nonce=claimed.nonce, redirect_uri=claimed.redirect_uri
        )
    except OidcError as error:
        problem = _problem(error)
        await _refused(uow, caller, error.code)
        raise problem from None
    account_id = await _account_of(uow, claims.issuer, claims.subject, claims.name, caller)
    account = await uow.repository(AccountRepository).get(account_id)
    if account is None or account.status != "active":
        await _refused(uow, caller, AccountDisabled.code, account_id)
        raise AccountDisabled()
    return await start_session(uow, account_id, METHOD, caller)
