"""A session is a refresh-token family; each refresh token is used once, then replaced."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from identity.database import Base
from shared.db import UUIDPrimaryKey


class Session(UUIDPrimaryKey, Base):
    __tablename__ = "session"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    method: Mapped[str] = mapped_column(String(30))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(String(30))


class RefreshToken(UUIDPrimaryKey, Base):
    """Only sha256 of the token is stored; `used_at` set means it was rotated (using it again is reuse)."""

    __tablename__ = "refresh_token"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("session.id"), index=True)
    token_sha256: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
