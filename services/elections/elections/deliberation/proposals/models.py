"""Proposals (议题) and their supports: one per enterprise and one per person, by the primary key."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from elections.database import Base
from elections.deliberation.states import PROPOSAL_CATEGORIES, PROPOSAL_STATUSES, SUPPORTER_KINDS, sql_in
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Proposal(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint(sql_in("status", PROPOSAL_STATUSES), name="status"),
        CheckConstraint(sql_in("category", PROPOSAL_CATEGORIES), name="category"),
        CheckConstraint("support_count >= 0 AND support_threshold >= 1", name="counts"),
        CheckConstraint("(status = 'merged') = (merged_into IS NOT NULL)", name="merged"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    committee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("committee.id"))
    author_subject: Mapped[str] = mapped_column(String(200))
    author_enterprise_id: Mapped[uuid.UUID | None] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30))
    building_id: Mapped[uuid.UUID | None] = mapped_column()
    scope: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    support_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    support_threshold: Mapped[int] = mapped_column(Integer)
    agenda_days: Mapped[int] = mapped_column(Integer)
    threshold_reached_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    agenda_due_on: Mapped[dt.date | None] = mapped_column(Date)
    merged_into: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("proposal.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ProposalSupport(Base):
    """`supporter_key` is the enterprise id for an enterprise's support, the login for a person's."""

    __tablename__ = "proposal_support"
    __table_args__ = (CheckConstraint(sql_in("supporter_kind", SUPPORTER_KINDS), name="kind"),)

    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("proposal.id"), primary_key=True)
    supporter_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    supporter_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
