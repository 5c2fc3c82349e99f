"""Facilities (WGS-84 points) and each community's N-minute circle parameters."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, Float, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from grid.database import Base
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Facility(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "facility"

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(10))
    sub_kind: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("kind IN ('life', 'medical', 'fitness', 'reading')", name="kind"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="wgs84"),
        # nearest-facility search: a GiST index on the earth point, ordered with `<->` (KNN)
        Index("ix_facility_earth", func.ll_to_earth(text("lat"), text("lon")), postgresql_using="gist"),
    )


class CircleSetting(Timestamps, Base):
    """A community's override of one circle's minutes, walking speed and detour factor."""

    __tablename__ = "circle_setting"

    community_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)
    walking_speed_kmh: Mapped[float] = mapped_column(Float)
    detour_factor: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("kind IN ('life', 'medical', 'fitness', 'reading')", name="kind"),
        CheckConstraint("minutes BETWEEN 1 AND 120", name="minutes"),
        CheckConstraint("walking_speed_kmh > 0 AND walking_speed_kmh <= 20", name="speed"),
        CheckConstraint("detour_factor >= 1 AND detour_factor <= 3", name="detour"),
    )
