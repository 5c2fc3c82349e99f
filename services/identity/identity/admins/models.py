"""The local credential of a platform administrator: password hash, sealed TOTP secret, lockout."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from identity.database import Base


class AdminCredential(Base):
    __tablename__ = "admin_credential"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, PHC string (parameters and salt in it)
    # AES-256-GCM of the base32 TOTP secret, nonce first; key from HKDF of the key encryption secret.
    totp_secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The last 30-second step whose code signed in: a code is used at most once (replay refused).
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("failed_attempts >= 0", name="failed_attempts"),
        CheckConstraint("totp_last_step >= 0", name="totp_last_step"),
    )
