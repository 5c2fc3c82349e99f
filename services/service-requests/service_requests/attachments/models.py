"""Files of service requests: one row per file, pending until confirmed; `field` ties a file to a form
attribute, and a partner sees it only when the request's type version marks that attribute shareable."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service_requests.database import Base
from shared.db import Timestamps, UUIDPrimaryKey
from shared.media import ACCEPTED


class RequestAttachment(UUIDPrimaryKey, Timestamps, Base):
    """`slot` (1..the per-request limit) is unique per request: the database keeps the limit."""

    __tablename__ = "attachment"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    community_id: Mapped[uuid.UUID]
    slot: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(64))  # a form attribute's code, or none
    name: Mapped[str] = mapped_column(String(255))
    declared_type: Mapped[str] = mapped_column(String(40))
    declared_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    expires_at: Mapped[dt.datetime]
    content_type: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_thumbnail: Mapped[bool] = mapped_column(default=False, server_default="false")
    confirmed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("request_id", "slot"),
        CheckConstraint("status IN ('pending', 'confirmed')", name="status"),
        CheckConstraint(f"declared_type IN ({', '.join(repr(t) for t in ACCEPTED)})", name="declared_type"),
        CheckConstraint("slot >= 1", name="slot"),
        CheckConstraint("declared_size > 0", name="declared_size"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256"),
        CheckConstraint("(status = 'confirmed') = (confirmed_at IS NOT NULL AND size IS NOT NULL)", name="confirmed"),
        Index("ix_attachment_pending_expiry", "expires_at", postgresql_where=text("status = 'pending'")),
    )
