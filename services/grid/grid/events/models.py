"""Grid events (the report → accept → dispatch → handle → feedback → verify → close loop) and their history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from grid.database import Base
from grid.events.transitions import EVENT_STATUSES, HANDLER_TYPES, INITIAL, SUPERVISION_LEVELS
from grid.states import one_of
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class GridEvent(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "grid_event"

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    grid_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("grid.id"), index=True)
    source_channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(4000))
    building_id: Mapped[uuid.UUID | None]
    floor: Mapped[int | None] = mapped_column(Integer)
    # the enterprise the event concerns: the reporter's, when a resident reports from their building
    enterprise_id: Mapped[uuid.UUID | None]
    reporter_subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=INITIAL, server_default=INITIAL)
    handler_type: Mapped[str | None] = mapped_column(String(30))
    handler_worker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("grid_worker.id"))
    handler_name: Mapped[str | None] = mapped_column(String(200))
    dispatched_at: Mapped[dt.datetime | None]
    deadline: Mapped[dt.datetime | None]
    supervision_level: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")
    escalated: Mapped[bool] = mapped_column(default=False, server_default="false")
    extension_requested_until: Mapped[dt.datetime | None]
    extension_reason: Mapped[str | None] = mapped_column(String(1000))
    evaluation_rating: Mapped[int | None] = mapped_column(Integer)
    evaluation_comment: Mapped[str | None] = mapped_column(String(1000))
    closed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint(
            one_of("status", EVENT_STATUSES),
            name="status",
        ),
        CheckConstraint(one_of("supervision_level", SUPERVISION_LEVELS), name="supervision_level"),
        CheckConstraint(
            "handler_type IS NULL OR " + one_of("handler_type", HANDLER_TYPES),
            name="handler_type",
        ),
        CheckConstraint("evaluation_rating IS NULL OR evaluation_rating BETWEEN 1 AND 5", name="rating"),
        # the supervision sweep looks only at open events with a deadline
        Index(
            "ix_grid_event_open_deadline",
            "deadline",
            postgresql_where=text("status IN ('dispatched', 'handling') AND deadline IS NOT NULL"),
        ),
        # the residents' lists (grid/residents): an enterprise's events, a reporter's own
        Index(
            "ix_grid_event_enterprise_created",
            "enterprise_id",
            "created_at",
            "id",
            postgresql_where=text("enterprise_id IS NOT NULL"),
        ),
        Index("ix_grid_event_reporter_created", "reporter_subject", "created_at", "id"),
    )


class GridEventHistory(UUIDPrimaryKey, Timestamps, Base):
    """Every transition, written in the transaction that made it."""

    __tablename__ = "grid_event_history"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grid_event.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(String(2000))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
