"""Activities and their enrolments; the counter's CHECK makes overbooking impossible."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service_requests.database import Base
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Activity(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("enrolled_count >= 0 AND enrolled_count <= capacity", name="within_capacity"),
        CheckConstraint("ends_at > starts_at", name="time_order"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    scenario: Mapped[str] = mapped_column(String(40), nullable=False)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    place: Mapped[str] = mapped_column(String(300), nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    enrolled_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    eligible_roles: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # set by the reminder job in the statement that writes ActivityReminder: once per activity
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Enrollment(UUIDPrimaryKey, Base):
    __tablename__ = "enrollment"
    __table_args__ = (
        CheckConstraint("status IN ('enrolled', 'waitlisted', 'cancelled')", name="status"),
        Index(
            "uq_enrollment_active_subject",
            "activity_id",
            "subject",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("ix_enrollment_activity_queue", "activity_id", "status", "queue_position"),
        Index("ix_enrollment_subject_created", "subject", "created_at", "id"),  # "my enrolments"
    )

    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    # arrival order: taken while the activity row is locked, so it is the order of enrolment
    queue_position: Mapped[int] = mapped_column(BigInteger, Identity(always=False), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
