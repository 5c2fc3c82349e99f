"""The hazard ledger (隐患台账) and its history."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from grid.database import Base
from grid.hazards.states import HAZARD_LEVELS, HAZARD_STATUSES, INITIAL
from grid.states import one_of
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Hazard(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "hazard"

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grid.id"), index=True)
    building_id: Mapped[uuid.UUID] = mapped_column(index=True)
    floor: Mapped[int | None] = mapped_column(Integer)
    enterprise_id: Mapped[uuid.UUID | None]
    inspection_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspection.id"))
    level: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(2000))
    deadline: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=INITIAL, server_default=INITIAL)
    reported_by: Mapped[str] = mapped_column(String(200))
    # set by the overdue job in the statement that claims the HazardOverdue event: once per hazard
    overdue_noticed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint(one_of("level", HAZARD_LEVELS), name="level"),
        CheckConstraint(one_of("status", HAZARD_STATUSES), name="status"),
        # a representative's "my enterprise's hazards" (grid/residents)
        Index(
            "ix_hazard_enterprise_created",
            "enterprise_id",
            "created_at",
            "id",
            postgresql_where=text("enterprise_id IS NOT NULL"),
        ),
    )


class HazardHistory(UUIDPrimaryKey, Timestamps, Base):
    """One row per change of a hazard, written in the same transaction as the change."""

    __tablename__ = "hazard_history"

    hazard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hazard.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(2000))
