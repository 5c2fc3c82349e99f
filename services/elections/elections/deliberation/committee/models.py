"""The committee formed from a certified election, and its seats."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from elections.database import Base
from elections.deliberation.states import COMMITTEE_STATUSES, sql_in
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Committee(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """One per certified election; at most one `active` per community (the partial unique index)."""

    __tablename__ = "committee"
    __table_args__ = (
        CheckConstraint(sql_in("status", COMMITTEE_STATUSES), name="status"),
        CheckConstraint("term_ends_on > term_starts_on", name="term"),
        CheckConstraint("support_threshold >= 1 AND agenda_days >= 1", name="settings"),
        UniqueConstraint("election_id"),
        Index("uq_committee_one_active", "community_id", unique=True, postgresql_where=text("status = 'active'")),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("election.id"))
    title: Mapped[str] = mapped_column(String(200))
    seats: Mapped[int] = mapped_column(Integer)
    support_threshold: Mapped[int] = mapped_column(Integer)
    agenda_days: Mapped[int] = mapped_column(Integer)
    term_starts_on: Mapped[dt.date] = mapped_column(Date)
    term_ends_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")
    ended_on: Mapped[dt.date | None] = mapped_column(Date)


class CommitteeMember(Base):
    """A seat: the elected candidate, the enterprise that sits (its nominator) and its current representative."""

    __tablename__ = "committee_member"
    __table_args__ = (UniqueConstraint("committee_id", "candidate_id"),)

    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committee.id"), primary_key=True)
    seat_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column()
    name: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[uuid.UUID] = mapped_column(index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    representative_subject: Mapped[str | None] = mapped_column(String(200))
