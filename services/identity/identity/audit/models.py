"""One row per security-relevant action: who, what, when, from where (never a code, password or token)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from identity.database import Base
from shared.db import UUIDPrimaryKey


class AuditRecord(UUIDPrimaryKey, Base):
    __tablename__ = "audit_record"

    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    account_id: Mapped[uuid.UUID | None]
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")

    __table_args__ = (
        Index("ix_audit_record_at", "at"),
        # one account's trail, newest first (the audit read, the invitation brute-force count)
        Index("ix_audit_record_account_id_at", "account_id", "at"),
    )
