"""A started OIDC sign-in (state, nonce, PKCE verifier; used once) and the provider identities of accounts."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, LargeBinary, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from identity.database import Base
from shared.db import UUIDPrimaryKey


class OidcLogin(UUIDPrimaryKey, Base):
    """One `POST /v1/auth/oidc/start`: claimed once by its callback (`consumed_at`), within `expires_at`.

    Only sha256 of the state is kept (the state is the browser's handle on this row). The nonce and
    the PKCE verifier are kept plain: each is one-time, lives ten minutes, and is worth nothing
    without the authorization code, which only the browser receives, and the client secret.
    """

    __tablename__ = "oidc_login"

    state_sha256: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    consumed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_created"),)


class OidcIdentity(UUIDPrimaryKey, Base):
    """The account a provider's subject signs in as: staff are matched by (issuer, subject), nothing else."""

    __tablename__ = "oidc_identity"

    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("issuer", "subject"),)
