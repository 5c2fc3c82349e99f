"""Checklist templates and inspection visits (the patrol log)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from grid.database import Base
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class ChecklistTemplate(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """Questions a visit answers; `community_id` null = offered to every community."""

    __tablename__ = "checklist_template"

    community_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30))
    items: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(default=True, server_default="true")

    __table_args__ = (
        CheckConstraint("category IN ('fire_safety', 'electrical', 'public_health', 'other')", name="category"),
    )


class Inspection(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "inspection"

    community_id: Mapped[uuid.UUID]
    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grid.id"), index=True)
    building_id: Mapped[uuid.UUID]
    floor: Mapped[int | None] = mapped_column(Integer)
    enterprise_id: Mapped[uuid.UUID | None]
    template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checklist_template.id"))
    worker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("grid_worker.id"))
    inspector_subject: Mapped[str] = mapped_column(String(200))
    visited_on: Mapped[dt.date] = mapped_column(Date)
    answers: Mapped[dict[str, Any]]
    findings: Mapped[list[Any]]
    notes: Mapped[str | None] = mapped_column(String(2000))

    # patrol freshness looks up the latest visit of each building
    __table_args__ = (
        Index("ix_inspection_building_visited", "building_id", "visited_on"),
        # a representative's "my enterprise's inspections" (grid/residents)
        Index(
            "ix_inspection_enterprise_visited",
            "enterprise_id",
            "visited_on",
            "id",
            postgresql_where=text("enterprise_id IS NOT NULL"),
        ),
    )


class InspectionHistory(UUIDPrimaryKey, Timestamps, Base):
    """What happened to a visit after it was recorded (its files: `attachment_added`), in order."""

    __tablename__ = "inspection_history"

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspection.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(2000))
