"""Grids, their succession, and the dated assignments of buildings (or floor ranges) to them."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from grid.database import Base
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class CommunitySetting(Timestamps, Base):
    """Per community: its registry code (for grid codes), the grid number sequence, patrol interval."""

    __tablename__ = "community_setting"

    community_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    community_code: Mapped[str] = mapped_column(String(40))
    # last grid number handed out; codes are never reused, even after a grid is retired
    grid_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    patrol_interval_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")

    __table_args__ = (CheckConstraint("patrol_interval_days BETWEEN 1 AND 366", name="patrol_interval"),)


class Grid(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "grid"

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("grid.id"), index=True)
    # last micro-grid suffix handed out under this grid
    child_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    retired: Mapped[bool] = mapped_column(default=False, server_default="false")

    __table_args__ = (
        CheckConstraint("kind IN ('basic', 'dedicated')", name="kind"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
    )


class GridSuccessor(Base):
    """A retired grid's successors (its buildings moved to them)."""

    __tablename__ = "grid_successor"

    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grid.id"), primary_key=True)
    successor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grid.id"), primary_key=True)


class GridAssignment(UUIDPrimaryKey, Timestamps, Base):
    """A building, or floors `floor_from..floor_to` (inclusive, null = open) of it, in a grid for a period.

    `valid_to` is exclusive; the exclusion constraint keeps any two assignments of the same
    floors of a building from overlapping in time, whichever grid they name.
    """

    __tablename__ = "grid_assignment"

    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grid.id"), index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    building_id: Mapped[uuid.UUID] = mapped_column(index=True)
    floor_from: Mapped[int | None] = mapped_column(Integer)
    floor_to: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("floor_from IS NULL OR floor_to IS NULL OR floor_to >= floor_from", name="floors"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
        ExcludeConstraint(
            ("building_id", "="),
            (func.int4range(text("floor_from"), text("floor_to"), text("'[]'")), "&&"),
            (func.daterange(text("valid_from"), text("valid_to"), text("'[)'")), "&&"),
            name="ex_grid_assignment_no_overlap",
            using="gist",
        ),
    )
