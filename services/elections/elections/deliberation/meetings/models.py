"""Meetings (议事会): the agenda, attendance, named votes, decisions and minutes (immutable once approved)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from elections.database import Base
from elections.deliberation.states import OUTCOMES, VOTE_CHOICES, sql_in
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Meeting(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """A trigger (`meeting_minutes_frozen`) refuses any change to `minutes` once `minutes_approved_at` is set."""

    __tablename__ = "meeting"

    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committee.id"), index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    scheduled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[str] = mapped_column(Text, default="", server_default="")
    minutes_approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MeetingItem(UUIDPrimaryKey, Base):
    """An agenda item; its decision needs the quorum, which the row itself carries (the CHECK)."""

    __tablename__ = "meeting_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        UniqueConstraint("meeting_id", "proposal_id"),
        CheckConstraint(f"outcome IS NULL OR {sql_in('outcome', OUTCOMES)}", name="outcome"),
        CheckConstraint(
            "outcome IS NULL OR (present_seats >= quorum AND reason IS NOT NULL AND decided_at IS NOT NULL)",
            name="decided_with_quorum",
        ),
        CheckConstraint("outcome IS DISTINCT FROM 'referred' OR department IS NOT NULL", name="referred_to"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("proposal.id"))
    title: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(200))
    present_seats: Mapped[int | None] = mapped_column(Integer)
    quorum: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Attendance(Base):
    __tablename__ = "meeting_attendance"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    seat_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CommitteeVote(Base):
    """A named vote: the primary key is "one vote per member (seat) and item"."""

    __tablename__ = "committee_vote"
    __table_args__ = (CheckConstraint(sql_in("choice", VOTE_CHOICES), name="choice"),)

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_item.id"), primary_key=True)
    seat_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    choice: Mapped[str] = mapped_column(String(10))
    voter_subject: Mapped[str] = mapped_column(String(200))
    cast_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
