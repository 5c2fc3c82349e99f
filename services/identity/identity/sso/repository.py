"""The single sign-on's SQL: started sign-ins (claimed once) and the provider identities of accounts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, text

from identity.sso.models import OidcIdentity, OidcLogin
from shared.uow import Repository

# Exactly one of two concurrent claims of a state updates its row: the second waits for the first's
# row lock, re-reads `consumed_at` and matches nothing (PostgreSQL's READ COMMITTED re-check).
_CLAIM = (
    "UPDATE identity.oidc_login SET consumed_at = now()"
    " WHERE state_sha256 = $1 AND consumed_at IS NULL AND expires_at > now()"
    " RETURNING nonce, code_verifier, redirect_uri"
)
# Expired sign-ins are kept an hour (a late callback is told it expired), then deleted.
_KEEP_EXPIRED = "1 hour"


@dataclass(frozen=True, slots=True)
class ClaimedLogin:
    nonce: str
    code_verifier: str
    redirect_uri: str

    def __repr__(self) -> str:  # the verifier and nonce are one-time secrets
        return f"ClaimedLogin(redirect_uri={self.redirect_uri!r})"


class OidcLoginRepository(Repository):
    async def add(self, state_digest: bytes, nonce: str, code_verifier: str, redirect_uri: str, seconds: int) -> None:
        self.session.add(
            OidcLogin(
                id=uuid.uuid4(),
                state_sha256=state_digest,
                nonce=nonce,
                code_verifier=code_verifier,
                redirect_uri=redirect_uri,
                expires_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, seconds),
            )
        )
        await self.session.flush()

    async def purge_expired(self) -> None:
        await self.session.execute(
            delete(OidcLogin).where(OidcLogin.expires_at < func.now() - text(f"interval '{_KEEP_EXPIRED}'"))
        )

    async def claim_now(self, state_digest: bytes) -> ClaimedLogin | None:
        """Use the sign-in up, on its own statement: it stays used whatever the callback's outcome
        (and no row lock is held while the provider is called)."""
        async with self.hot() as connection:
            row = await connection.fetchrow(_CLAIM, state_digest)
        return None if row is None else ClaimedLogin(row["nonce"], row["code_verifier"], row["redirect_uri"])


class OidcIdentityRepository(Repository):
    async def lock_subject(self, issuer: str, subject: str) -> None:
        """Serialise the first sign-ins of one provider subject until this transaction ends (the
        second waits, then finds the account the first created; the unique constraint is the backstop)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"identity:oidc:{issuer}\n{subject}"},
        )

    async def touch(self, issuer: str, subject: str) -> uuid.UUID | None:
        """The account of (issuer, subject), its last sign-in set to now; None for a subject never seen."""
        account_id: uuid.UUID | None = await self.session.scalar(
            text(
                "UPDATE identity.oidc_identity SET last_login_at = now()"
                " WHERE issuer = :issuer AND subject = :subject RETURNING account_id"
            ),
            {"issuer": issuer, "subject": subject},
        )
        return account_id

    async def link(self, issuer: str, subject: str, account_id: uuid.UUID) -> None:
        await self.session.execute(
            insert(OidcIdentity).values(id=uuid.uuid4(), issuer=issuer, subject=subject, account_id=account_id)
        )
