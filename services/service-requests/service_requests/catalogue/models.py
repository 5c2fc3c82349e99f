"""The service type table."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service_requests.database import Base
from shared.db import Timestamps, UUIDPrimaryKey, Versioned

CATEGORIES = ("city", "enterprise", "employee")
SCENARIOS = ("party_building", "enterprise_service", "life_service", "leisure", "personal_growth", "team_building")
HANDLER_KINDS = ("community_staff", "bank", "mcn")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class ServiceType(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """A service a community offers; requests keep a snapshot of the version they were filed under."""

    __tablename__ = "service_type"
    __table_args__ = (
        UniqueConstraint("community_id", "code"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("scenario", SCENARIOS), name="scenario"),
        CheckConstraint(_in("handler_kind", HANDLER_KINDS), name="handler_kind"),
        CheckConstraint("acknowledge_amount > 0 AND resolve_amount > 0", name="positive_deadlines"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name_zh: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)
    description_zh: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    description_en: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    scenario: Mapped[str] = mapped_column(String(40), nullable=False)
    requester_roles: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    form: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    handler_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # partners (issue 7) a bank/mcn type routes to; the first is the default resolver
    handler_partner_ids: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default="[]")
    # whether the routed partner may read the request's free-text description
    handler_share_description: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    acknowledge_amount: Mapped[int] = mapped_column(Integer, nullable=False)
    acknowledge_unit: Mapped[str] = mapped_column(String(20), nullable=False)
    resolve_amount: Mapped[int] = mapped_column(Integer, nullable=False)
    resolve_unit: Mapped[str] = mapped_column(String(20), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")


class CommunityBrands(Base):
    """A community's own names for the six scenarios (星领秀 ...); absent: the platform's defaults."""

    __tablename__ = "community_brands"

    community_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the invariant: one set per community
    names: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)  # scenario -> {"zh", "en"}
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
