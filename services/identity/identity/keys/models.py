"""The signing keys: one active at a time, retired ones kept while their tokens can live."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, LargeBinary, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from identity.database import Base


class SigningKey(Base):
    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # AES-256-GCM of the PKCS#8 DER private key, nonce first; the key is derived from the settings secret.
    private_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    verify_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("algorithm = 'ES256'", name="algorithm"),
        CheckConstraint("(retired_at IS NULL) = (verify_until IS NULL)", name="retired_has_verify_until"),
        # exactly one key signs: at most one row is not retired
        Index("uq_signing_key_one_active", "algorithm", unique=True, postgresql_where=text("retired_at IS NULL")),
    )
