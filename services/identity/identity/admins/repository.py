"""The admin credentials' SQL: lookup, the once-per-step TOTP claim and the failure count."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from identity.accounts.models import Account
from identity.admins.models import AdminCredential
from shared.uow import Repository

# A failure on its own statement (the request rolls back). After a lock has run out the count
# starts again; reaching the limit locks the credential for `$3` seconds.
_FAILURE = """
UPDATE identity.admin_credential SET
  failed_attempts = CASE WHEN locked_until <= now() THEN 1 ELSE failed_attempts + 1 END,
  locked_until = CASE
    WHEN (CASE WHEN locked_until <= now() THEN 1 ELSE failed_attempts + 1 END) >= $2
      THEN now() + make_interval(secs => $3)
    WHEN locked_until <= now() THEN NULL
    ELSE locked_until END
WHERE account_id = $1
RETURNING failed_attempts, locked_until > now() AS locked
"""

# Of two sign-ins with one code (one step), exactly one updates the row: the second waits for the
# first's row lock, re-reads `totp_last_step` and matches nothing (READ COMMITTED's re-check).
_CLAIM_STEP = """
UPDATE identity.admin_credential
SET totp_last_step = $2, failed_attempts = 0, locked_until = NULL, last_login_at = now()
WHERE account_id = $1 AND totp_last_step < $2 AND (locked_until IS NULL OR locked_until <= now())
RETURNING account_id
"""


@dataclass(frozen=True, slots=True)
class Credential:
    account_id: uuid.UUID
    password_hash: str = field(repr=False)
    totp_secret_sealed: bytes = field(repr=False)
    locked_seconds: int  # > 0 while locked (by the database's clock)
    account_status: str


class AdminCredentialRepository(Repository):
    async def by_username(self, username: str) -> Credential | None:
        remaining = func.ceil(func.extract("epoch", AdminCredential.locked_until - func.now()))
        row = (
            await self.session.execute(
                select(
                    AdminCredential.account_id,
                    AdminCredential.password_hash,
                    AdminCredential.totp_secret_sealed,
                    func.coalesce(func.greatest(remaining, 0), 0),
                    Account.status,
                )
                .join(Account, Account.id == AdminCredential.account_id)
                .where(AdminCredential.username == username)
            )
        ).first()
        if row is None:
            return None
        return Credential(row[0], row[1], row[2], int(row[3]), row[4])

    async def add(self, credential: AdminCredential) -> bool:
        """Insert unless the username is taken; whether it was inserted."""
        inserted = await self.session.scalar(
            insert(AdminCredential)
            .values(
                account_id=credential.account_id,
                username=credential.username,
                password_hash=credential.password_hash,
                totp_secret_sealed=credential.totp_secret_sealed,
            )
            .on_conflict_do_nothing(index_elements=[AdminCredential.username])
            .returning(AdminCredential.account_id)
        )
        return inserted is not None

    async def claim_step_now(self, account_id: uuid.UUID, step: int) -> bool:
        """Use the TOTP step (a later one than any used before) and clear the failures, on its own
        statement; whether it was free. Autocommitted: a row lock kept by the request's transaction
        would block the failure count of a concurrent loser (and PostgreSQL keeps the lock of a row
        whose re-check failed until the transaction ends)."""
        async with self.hot() as connection:
            claimed = await connection.fetchval(_CLAIM_STEP, account_id, step)
        return claimed is not None

    async def record_failure_now(self, account_id: uuid.UUID, limit: int, lock_seconds: int) -> tuple[int, bool]:
        """Count a failed sign-in at once; (failures so far, whether that locked the credential)."""
        async with self.hot() as connection:
            row = await connection.fetchrow(_FAILURE, account_id, limit, float(lock_seconds))
        return (0, False) if row is None else (int(row["failed_attempts"]), bool(row["locked"]))
