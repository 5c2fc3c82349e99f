"""Accounts and their role grants."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from identity.accounts.states import ACCOUNT_STATUSES, GRANT_SOURCES, GRANTABLE_ROLES, sql_in
from identity.database import Base
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Account(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "account"

    display_name: Mapped[str | None] = mapped_column(String(100))
    # verified mainland mobile number (E.164 without "+86" is not accepted: stored as +86...)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(ACCOUNT_STATUSES)})", name="status"),
        CheckConstraint("(status = 'disabled') = (disabled_at IS NOT NULL)", name="disabled_at"),
        Index("ix_account_disabled_at", "disabled_at", postgresql_where=text("disabled_at IS NOT NULL")),
    )


class RoleGrant(UUIDPrimaryKey, Base):
    """One role of one account with its scope; revoked grants are kept (the audit reads them)."""

    __tablename__ = "role_grant"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    community_id: Mapped[uuid.UUID | None]
    grid_id: Mapped[uuid.UUID | None]
    enterprise_id: Mapped[uuid.UUID | None]
    election_id: Mapped[uuid.UUID | None]
    source: Mapped[str] = mapped_column(String(20))
    granted_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    valid_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(f"role IN ({sql_in(GRANTABLE_ROLES)})", name="role"),
        CheckConstraint(f"source IN ({sql_in(GRANT_SOURCES)})", name="source"),
        CheckConstraint("role <> 'community_staff' OR community_id IS NOT NULL", name="staff_has_community"),
        CheckConstraint("role <> 'grid_worker' OR grid_id IS NOT NULL", name="worker_has_grid"),
        CheckConstraint(
            "role NOT IN ('enterprise_rep', 'employee') OR enterprise_id IS NOT NULL", name="enterprise_role_has_id"
        ),
        CheckConstraint("role <> 'election_observer' OR election_id IS NOT NULL", name="observer_has_election"),
        # one live grant per (account, role, scope): granting twice is a conflict, not a duplicate
        Index(
            "uq_role_grant_live",
            "account_id",
            "role",
            text("coalesce(community_id, grid_id, enterprise_id, election_id, '00000000-0000-0000-0000-000000000000')"),
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
        # the holders of a role in a scope, by account: a notice's recipients page by page
        *(
            Index(
                f"ix_role_grant_live_{scope}",
                f"{scope}_id",
                "role",
                "account_id",
                postgresql_include=["valid_until"],
                postgresql_where=text(f"revoked_at IS NULL AND {scope}_id IS NOT NULL"),
            )
            for scope in ("enterprise", "community", "grid")
        ),
    )
