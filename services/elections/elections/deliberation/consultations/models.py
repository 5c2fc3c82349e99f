"""Consultations (征询): typed questions, one answer per enterprise or per person (the primary key)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from elections.database import Base
from elections.deliberation.states import AUDIENCES, CONSULTATION_STATUSES, sql_in
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Consultation(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "consultation"
    __table_args__ = (
        CheckConstraint(sql_in("status", CONSULTATION_STATUSES), name="status"),
        CheckConstraint(sql_in("audience", AUDIENCES), name="audience"),
        CheckConstraint("status <> 'open' OR opened_at IS NOT NULL", name="opened"),
        CheckConstraint("opens_at IS NULL OR opens_at < closes_at", name="window"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    audience: Mapped[str] = mapped_column(String(12))
    questions: Mapped[list[Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="draft", server_default="draft")
    opens_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ConsultationAnswer(Base):
    """`respondent_key` is the enterprise id (an enterprise consultation) or the person's login."""

    __tablename__ = "consultation_answer"

    # No foreign key to `consultation`: its check would KEY SHARE-lock the one hot row per answer (as ballots)
    consultation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    respondent_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    respondent_subject: Mapped[str] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
