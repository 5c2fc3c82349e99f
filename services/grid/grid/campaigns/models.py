"""Emergency check campaigns and their daily building check-ins."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from grid.campaigns.states import ACTIVE, CAMPAIGN_KINDS, CAMPAIGN_STATUSES
from grid.database import Base
from grid.states import one_of
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Campaign(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "campaign"

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE, server_default=ACTIVE)
    summary: Mapped[dict[str, Any] | None]
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(one_of("status", CAMPAIGN_STATUSES), name="status"),
        CheckConstraint(one_of("kind", CAMPAIGN_KINDS), name="kind"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
    )


class CampaignCheckIn(UUIDPrimaryKey, Timestamps, Base):
    """One building's report for one day of a campaign."""

    __tablename__ = "campaign_check_in"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id"))
    building_id: Mapped[uuid.UUID]
    day: Mapped[dt.date] = mapped_column(Date)
    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grid.id"))
    people_on_site: Mapped[int] = mapped_column(Integer)
    issues: Mapped[str | None] = mapped_column(String(2000))
    reported_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("campaign_id", "day", "building_id"),
        CheckConstraint("people_on_site >= 0", name="people"),
    )


class MissingCheckInNotice(Base):
    """A CampaignCheckInMissing event written: its key makes it once per campaign, day and building."""

    __tablename__ = "missing_check_in_notice"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    building_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
