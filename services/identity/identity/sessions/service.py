"""Sessions: starting one at sign-in, refreshing with rotation and reuse detection, signing out."""

from __future__ import annotations

import datetime as dt
import uuid

from identity.accounts.exceptions import AccountDisabled, AccountNotFound
from identity.accounts.repository import AccountRepository
from identity.accounts.service import identity_of_grants, token_identity
from identity.audit.repository import AuditRepository
from identity.caller import Caller
from identity.sessions import tokens
from identity.sessions.exceptions import InvalidRefreshToken, RefreshTokenReused, SessionNotFound
from identity.sessions.repository import SessionRepository
from identity.sessions.schemas import SessionList, SessionRead, TokenPair
from identity.settings import Settings
from shared.auth import Identity
from shared.db import utcnow
from shared.uow import UnitOfWork


async def _pair(uow: UnitOfWork, account_id: uuid.UUID, session_id: uuid.UUID) -> TokenPair:
    settings: Settings = uow.app.state.settings
    refresh, digest = tokens.new_refresh_token()
    lifetime = dt.timedelta(days=settings.refresh_token_days)
    await uow.repository(SessionRepository).add_token(session_id, digest, utcnow() + lifetime)
    identity = await token_identity(uow, account_id)
    return TokenPair(
        access_token=await tokens.access_token(uow, identity, session_id),
        expires_in=settings.access_token_seconds,
        refresh_token=refresh,
        refresh_expires_in=int(lifetime.total_seconds()),
        session_id=session_id,
    )


async def start_session(uow: UnitOfWork, account_id: uuid.UUID, method: str, caller: Caller) -> TokenPair:
    """A signed-in device: a new refresh-token family and the first pair (the sign-in flows call this).

    A disabled account gets none (403 `ACCOUNT_DISABLED`), whichever way it proved who it is."""
    account = await uow.repository(AccountRepository).get(account_id)
    if account is None:
        raise AccountNotFound()
    if account.status == "disabled":
        await uow.repository(AuditRepository).add_now(
            str(account_id), "login_refused", account_id=account_id, source_ip=caller.ip, detail={"method": method}
        )
        raise AccountDisabled()
    session = await uow.repository(SessionRepository).start(account_id, method, caller.ip, caller.user_agent)
    uow.repository(AuditRepository).add(
        str(account_id), "login", account_id=account_id, source_ip=caller.ip, detail={"method": method}
    )
    return await _pair(uow, account_id, session.id)


async def refresh(uow: UnitOfWork, refresh_token: str, caller: Caller) -> TokenPair:
    """Use a refresh token once: a new pair. A token already used revokes its whole session.

    The hot path: one statement claims the token, stores its replacement and reads the grants
    (`SessionRepository.refresh`); only a refusal takes the slower way to tell reuse from garbage."""
    settings: Settings = uow.app.state.settings
    sessions = uow.repository(SessionRepository)
    digest = tokens.digest(refresh_token)
    fresh, fresh_digest = tokens.new_refresh_token()
    refreshed = await sessions.refresh(digest, fresh_digest, settings.refresh_token_days)
    if refreshed is not None:
        identity = identity_of_grants(
            refreshed.account_id, refreshed.display_name, refreshed.grants, refreshed.communities
        )
        return TokenPair(
            access_token=await tokens.access_token(uow, identity, refreshed.session_id, kid=refreshed.kid),
            expires_in=settings.access_token_seconds,
            refresh_token=fresh,
            refresh_expires_in=settings.refresh_token_days * 86_400,
            session_id=refreshed.session_id,
        )
    known = await sessions.find_token(digest)
    if known is not None and known.used_at is not None:
        account_id = await sessions.revoke_now(known.session_id, "refresh_reused")
        await uow.repository(AuditRepository).add_now(
            str(account_id) if account_id else "unknown",
            "refresh_token_reused",
            account_id=account_id,
            source_ip=caller.ip,
            detail={"session_id": str(known.session_id)},
        )
        raise RefreshTokenReused()
    raise InvalidRefreshToken()


async def logout(uow: UnitOfWork, refresh_token: str, caller: Caller) -> None:
    """End the refresh token's session; an unknown or spent token is the same silent success."""
    sessions = uow.repository(SessionRepository)
    known = await sessions.find_token(tokens.digest(refresh_token))
    if known is not None and await sessions.revoke(known.session_id, "logout"):
        uow.repository(AuditRepository).add(
            "self", "logout", account_id=None, source_ip=caller.ip, detail={"session_id": str(known.session_id)}
        )


def _account(identity: Identity) -> uuid.UUID:
    try:
        return uuid.UUID(identity.subject)
    except ValueError as exc:
        raise SessionNotFound() from exc


async def my_sessions(uow: UnitOfWork, identity: Identity) -> SessionList:
    """The caller's signed-in devices (none for a subject that is no account of ours)."""
    try:
        account_id = uuid.UUID(identity.subject)
    except ValueError:
        return SessionList(items=[])
    rows = await uow.repository(SessionRepository).live_of(account_id)
    return SessionList(items=[SessionRead.model_validate(row) for row in rows])


async def end_session(uow: UnitOfWork, identity: Identity, session_id: uuid.UUID, caller: Caller) -> None:
    account_id = _account(identity)
    if not await uow.repository(SessionRepository).revoke(session_id, "signed_out", account_id=account_id):
        raise SessionNotFound()
    uow.repository(AuditRepository).add(
        identity.subject,
        "session_revoked",
        account_id=account_id,
        source_ip=caller.ip,
        detail={"session_id": str(session_id)},
    )
