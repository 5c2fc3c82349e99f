"""Buildings, and the dated history of the community each belongs to."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column

from registry.buildings.states import BUILDING_KINDS
from registry.communities.states import one_of as _in
from registry.database import Base
from shared.db import Timestamps, UUIDPrimaryKey, Versioned

NO_OVERLAP = "ex_building_jurisdiction_no_overlap"
MOVES_BETWEEN_COMMUNITIES = "moves_between_communities"
MOVES_BETWEEN_COMMUNITIES_CHECK = f"ck_building_jurisdiction_{MOVES_BETWEEN_COMMUNITIES}"


class Building(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "building"
    __table_args__ = (
        CheckConstraint(_in("kind", BUILDING_KINDS), name="kind"),
        CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="location"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="location_pair"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)  # WGS-84
    longitude: Mapped[float | None] = mapped_column(Float)
    floors: Mapped[int | None]
    units: Mapped[int | None]


class BuildingJurisdiction(UUIDPrimaryKey, Base):
    """One period `[valid_from, valid_to)` during which a building belongs to a community."""

    __tablename__ = "building_jurisdiction"
    __table_args__ = (
        # A building belongs to exactly one community at any date: periods never overlap.
        ExcludeConstraint(("building_id", "="), ("during", "&&"), name=NO_OVERLAP, using="gist"),
        CheckConstraint("NOT isempty(during) AND NOT lower_inf(during)", name="bounded_start"),
        # A transfer moves a building between two different communities, never to where it is.
        CheckConstraint("from_community_id IS DISTINCT FROM community_id", name=MOVES_BETWEEN_COMMUNITIES),
        Index("ix_building_jurisdiction_community_during", "community_id", "during", postgresql_using="gist"),
    )

    building_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"))
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("community.id"))
    # The community the building was transferred from; NULL for its first (registered) period.
    from_community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("community.id"))
    during: Mapped[Range[dt.date]] = mapped_column(DATERANGE)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=text("now()"))
