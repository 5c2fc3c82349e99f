"""Platform administrators: created by the CLI (account, credential, `platform_admin` grant), and
signing in with username, password (argon2id) and a TOTP code, each code once, five failures a lock."""

from __future__ import annotations

import asyncio
import re
import uuid

from identity.accounts.exceptions import AccountDisabled
from identity.accounts.service import add_grant, create_account
from identity.admins import crypto
from identity.admins.exceptions import (
    AdminLocked,
    AdminLoginFailed,
    AdminPasswordTooWeak,
    AdminUsernameInvalid,
    AdminUsernameTaken,
)
from identity.admins.models import AdminCredential
from identity.admins.repository import AdminCredentialRepository
from identity.admins.schemas import AdminCreated
from identity.audit.repository import AuditRepository
from identity.caller import Caller
from identity.sessions.schemas import TokenPair
from identity.sessions.service import start_session
from identity.settings import Settings
from shared.auth import Role
from shared.uow import UnitOfWork

METHOD = "admin_password_totp"
USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")
MIN_PASSWORD_LENGTH = 12


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _settings(uow: UnitOfWork) -> Settings:
    settings: Settings = uow.app.state.settings
    return settings


async def create_admin(
    uow: UnitOfWork, *, username: str, password: str, display_name: str | None = None, granted_by: str = "cli"
) -> AdminCreated:
    """A new account holding `platform_admin`, its password and a fresh TOTP secret (returned once, as a URI)."""
    settings = _settings(uow)
    username = normalise_username(username)
    if not USERNAME.match(username):
        raise AdminUsernameInvalid()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminPasswordTooWeak()
    password_hash = await asyncio.to_thread(crypto.hash_password, password)
    account = await create_account(uow, display_name=display_name or username)
    secret = crypto.new_totp_secret()
    sealed = crypto.seal_totp_secret(secret, settings.key_encryption_secret.get_secret_value(), str(account.id))
    credential = AdminCredential(
        account_id=account.id, username=username, password_hash=password_hash, totp_secret_sealed=sealed
    )
    if not await uow.repository(AdminCredentialRepository).add(credential):
        raise AdminUsernameTaken()
    await add_grant(uow, account.id, Role.platform_admin, granted_by=granted_by, source="api", source_ip=None)
    uow.repository(AuditRepository).add(
        granted_by, "admin_created", account_id=account.id, source_ip=None, detail={"username": username}
    )
    return AdminCreated(
        account_id=account.id,
        username=username,
        totp_provisioning_uri=crypto.provisioning_uri(secret, username, settings.admin_totp_issuer),
    )


async def _refused(
    uow: UnitOfWork, caller: Caller, reason: str, account_id: uuid.UUID | None, **detail: object
) -> None:
    """The failed sign-in's audit record, written at once (the request rolls back). Never the
    username typed for an unknown one (it is often a password typed in the wrong field)."""
    await uow.repository(AuditRepository).add_now(
        str(account_id) if account_id else "anonymous",
        "login_failed",
        account_id=account_id,
        source_ip=caller.ip,
        detail={"method": METHOD, "reason": reason, **detail},
    )


async def _failed(uow: UnitOfWork, caller: Caller, account_id: uuid.UUID, reason: str) -> AdminLoginFailed:
    settings = _settings(uow)
    attempts, locked = await uow.repository(AdminCredentialRepository).record_failure_now(
        account_id, settings.admin_max_failed_attempts, settings.admin_lock_seconds
    )
    await _refused(uow, caller, reason, account_id, failed_attempts=attempts, locked=locked)
    return AdminLoginFailed()


async def login(uow: UnitOfWork, username: str, password: str, totp: str, caller: Caller) -> TokenPair:
    """All three factors right, the code's step not used before, the credential not locked: a session."""
    settings = _settings(uow)
    credentials = uow.repository(AdminCredentialRepository)
    credential = await credentials.by_username(normalise_username(username))
    if credential is None:
        await asyncio.to_thread(crypto.verify_password, None, password)  # about the time of a real check
        await _refused(uow, caller, "unknown_username", None)
        raise AdminLoginFailed()
    if credential.locked_seconds > 0:
        await _refused(uow, caller, "locked", credential.account_id)
        raise AdminLocked(headers={"Retry-After": str(credential.locked_seconds)})
    password_ok = await asyncio.to_thread(crypto.verify_password, credential.password_hash, password)
    secret = crypto.unseal_totp_secret(
        credential.totp_secret_sealed, settings.key_encryption_secret.get_secret_value(), str(credential.account_id)
    )
    step = crypto.matching_step(secret, totp)
    if not password_ok:
        raise await _failed(uow, caller, credential.account_id, "wrong_password")
    if step is None:
        raise await _failed(uow, caller, credential.account_id, "wrong_totp")
    if not await credentials.claim_step_now(credential.account_id, step):
        # this code (or a later one) signed in already, or a lock began meanwhile
        raise await _failed(uow, caller, credential.account_id, "totp_replayed")
    if credential.account_status != "active":
        await _refused(uow, caller, "account_disabled", credential.account_id)
        raise AccountDisabled()
    return await start_session(uow, credential.account_id, METHOD, caller)
