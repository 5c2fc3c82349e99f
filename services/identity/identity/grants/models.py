"""Invitation codes (only their digest kept) and join requests."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from identity.accounts.states import sql_in
from identity.database import Base
from identity.grants.states import JOIN_REQUEST_STATUSES
from shared.db import UUIDPrimaryKey


class Invitation(UUIDPrimaryKey, Base):
    """A one-time code that makes whoever redeems it an `employee` of the enterprise."""

    __tablename__ = "invitation"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # sha256 of the code: the code itself is shown once, to its creator, and never stored
    code_sha256: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("(used_at IS NULL) = (used_by IS NULL)", name="used_by"),
        CheckConstraint("used_at IS NULL OR cancelled_at IS NULL", name="used_or_cancelled"),
        CheckConstraint("expires_at > created_at", name="expiry"),
    )


class JoinRequest(UUIDPrimaryKey, Base):
    """An account asking to become an employee of an enterprise; its representative decides once."""

    __tablename__ = "join_request"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(JOIN_REQUEST_STATUSES)})", name="status"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided"),
        # one pending request per (account, enterprise): asking twice is a conflict
        Index(
            "uq_join_request_pending",
            "account_id",
            "enterprise_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )
