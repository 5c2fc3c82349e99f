"""Enterprises keyed by USCC, their dated status, sites, headcounts and representative."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column

from registry.communities.states import one_of as _in
from registry.database import Base
from registry.enterprises.states import STATUSES
from shared.db import Timestamps, UUIDPrimaryKey, Versioned

USCC_UNIQUE = "uq_enterprise_uscc"
STATUS_NO_OVERLAP = "ex_enterprise_status_no_overlap"
HEADCOUNT_UNIQUE = "uq_headcount_enterprise_id_as_of"
NAME_GRAMS = "registry.enterprise_name_grams"


class Enterprise(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "enterprise"
    __table_args__ = (
        UniqueConstraint("uscc", name=USCC_UNIQUE),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("industry_section ~ '^[A-T]$'", name="industry_section"),
        # keyset listing by (name, id) and name-fragment search (LIKE '%frag%', also for 1-2 CJK chars)
        Index("ix_enterprise_name_id", "name", "id"),
        Index("ix_enterprise_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
        Index("ix_enterprise_industry_section_name_id", "industry_section", "name", "id"),
        # 1-2 character fragments (trigrams cannot index them); the function is created by the migration
        Index("ix_enterprise_name_grams", text(f"{NAME_GRAMS}(name::text)"), postgresql_using="gin"),
    )

    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    legal_representative: Mapped[str] = mapped_column(String(100))
    registered_address: Mapped[str | None] = mapped_column(String(300))
    operating_address: Mapped[str | None] = mapped_column(String(300))
    industry_section: Mapped[str] = mapped_column(String(1))  # GB/T 4754-2017 section letter
    industry_code: Mapped[str | None] = mapped_column(String(4))  # GB/T 4754-2017 class code
    registered_capital: Mapped[float | None] = mapped_column(Numeric(18, 2, asdecimal=False))  # 10k CNY
    status: Mapped[str] = mapped_column(String(16), default="active")  # status as of its latest change
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    representative_name: Mapped[str | None] = mapped_column(String(100))
    representative_phone: Mapped[str | None] = mapped_column(String(32))
    representative_user_subject: Mapped[str | None] = mapped_column(String(200))
    representative_authorization_ref: Mapped[str | None] = mapped_column(String(200))
    representative_valid_until: Mapped[dt.date | None]


class EnterpriseStatusPeriod(UUIDPrimaryKey, Base):
    """One period during which an enterprise had one status; periods never overlap."""

    __tablename__ = "enterprise_status_period"
    __table_args__ = (
        ExcludeConstraint(("enterprise_id", "="), ("during", "&&"), name=STATUS_NO_OVERLAP, using="gist"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("NOT isempty(during) AND NOT lower_inf(during)", name="bounded_start"),
    )

    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    during: Mapped[Range[dt.date]] = mapped_column(DATERANGE)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=text("now()"))


class Occupancy(UUIDPrimaryKey, Timestamps, Base):
    """An enterprise's site: a unit on a floor of a building, for a period."""

    __tablename__ = "occupancy"
    __table_args__ = (
        CheckConstraint("NOT isempty(during) AND NOT lower_inf(during)", name="bounded_start"),
        Index("ix_occupancy_building_id_during", "building_id", "during", postgresql_using="gist"),
    )

    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("building.id"))
    floor: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(32))
    during: Mapped[Range[dt.date]] = mapped_column(DATERANGE)


class Headcount(UUIDPrimaryKey, Timestamps, Base):
    """Headcount figures an enterprise reported for a date."""

    __tablename__ = "headcount"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "as_of", name=HEADCOUNT_UNIQUE),
        CheckConstraint("employees >= 0", name="employees"),
    )

    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    as_of: Mapped[dt.date]
    employees: Mapped[int]
    average_age: Mapped[float | None] = mapped_column(Float)
    graduates: Mapped[int | None]  # bachelor's degree or higher
    high_level_talents: Mapped[int | None]  # recognised talent programmes (A-E classes)
