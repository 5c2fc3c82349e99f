"""Partners and their API keys; at most two active keys per partner, enforced by the database."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.database import Base
from shared.db import Timestamps, UUIDPrimaryKey

MAX_ACTIVE_KEYS = 2


class Partner(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "partner"
    __table_args__ = (
        CheckConstraint("kind IN ('bank', 'mcn')", name="kind"),
        CheckConstraint(
            "(signing_key_id IS NULL) = (signing_public_key IS NULL)"
            " AND (NOT require_signatures OR signing_key_id IS NOT NULL)",
            name="signing_key",
        ),
        UniqueConstraint("name"),
        UniqueConstraint("signing_key_id"),
    )

    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(500))
    # RFC 9421 signed requests: the partner's Ed25519 public key (SubjectPublicKeyInfo PEM) and its
    # `keyid`. Nonces are remembered per `keyid`, so a keyid belongs to one partner only.
    signing_key_id: Mapped[str | None] = mapped_column(String(64), default=None)
    signing_public_key: Mapped[str | None] = mapped_column(Text, default=None)
    require_signatures: Mapped[bool] = mapped_column(default=False, server_default=false())


class ApiKey(UUIDPrimaryKey, Base):
    """A key is `bjp_<key_id>_<secret>`; only sha256(secret) is stored."""

    __tablename__ = "api_key"
    __table_args__ = (
        UniqueConstraint("key_id"),
        CheckConstraint(f"slot BETWEEN 1 AND {MAX_ACTIVE_KEYS}", name="slot"),
        # Two active keys per partner: each active key holds one of two slots.
        Index(
            "uq_api_key_active_slot",
            "partner_id",
            "slot",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(32))
    slot: Mapped[int] = mapped_column(SmallInteger)
    secret_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=text("now()"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
