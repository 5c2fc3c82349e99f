"""Accountability: each adopted decision is an action with an owner, a due date and progress updates."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from elections.database import Base
from elections.deliberation.states import ACTION_STATUSES, sql_in
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Action(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "action"
    __table_args__ = (
        CheckConstraint(sql_in("status", ACTION_STATUSES), name="status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint("(status = 'done') = (done_at IS NOT NULL)", name="done"),
        UniqueConstraint("item_id"),
    )

    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committee.id"), index=True)
    community_id: Mapped[uuid.UUID] = mapped_column()
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_item.id"))
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("proposal.id"))
    title: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    progress: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ActionUpdate(UUIDPrimaryKey, Base):
    __tablename__ = "action_update"

    action_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("action.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    progress: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    author_subject: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
