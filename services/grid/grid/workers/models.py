"""Grid workers and their dated duties (one primary per grid at a time, plus deputies)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from grid.database import Base
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class GridWorker(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "grid_worker"

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30))
    employment: Mapped[str] = mapped_column(String(20))
    # the platform account (JWT `sub`) of the worker, so their inspections and events are theirs
    user_subject: Mapped[str | None] = mapped_column(String(200), unique=True)
    # shown to a building's residents by "my grid worker" (e.g. 工作日 9:00-17:30)
    duty_hours: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("employment IN ('full_time', 'part_time')", name="employment"),)


class GridDuty(UUIDPrimaryKey, Timestamps, Base):
    """A worker on duty in a grid for a period (`valid_to` exclusive)."""

    __tablename__ = "grid_duty"

    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grid.id"), index=True)
    worker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grid_worker.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("role IN ('primary', 'deputy')", name="role"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
        # 一格一员: one primary worker per grid on any day
        ExcludeConstraint(
            ("grid_id", "="),
            (func.daterange(text("valid_from"), text("valid_to"), text("'[)'")), "&&"),
            name="ex_grid_duty_one_primary",
            using="gist",
            where=text("role = 'primary'"),
        ),
        # a worker holds one duty per grid at a time
        ExcludeConstraint(
            ("grid_id", "="),
            ("worker_id", "="),
            (func.daterange(text("valid_from"), text("valid_to"), text("'[)'")), "&&"),
            name="ex_grid_duty_one_per_worker",
            using="gist",
        ),
    )
