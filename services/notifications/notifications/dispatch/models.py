"""A dispatch: one rule fired by one event, fanned out page by page to its recipients."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from notifications.database import Base


class Dispatch(Base):
    """Written by the feed consumer in the transaction that advances its cursor; the fan-out
    worker resolves the recipients (identity's accounts and grants, *at send time*) one page per
    turn, writing that page's notifications and `cursor` in one transaction, so a crash resumes at
    the page it was on and a big fan-out never holds up a small one."""

    __tablename__ = "dispatch"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(60))
    feed: Mapped[str] = mapped_column(String(40))
    # what the rule keys a cancellation on (the request of a rating reminder)
    subject_key: Mapped[str | None] = mapped_column(String(100))
    selector: Mapped[dict[str, Any]] = mapped_column(JSONB)
    context: Mapped[dict[str, Any]] = mapped_column(JSONB)
    urgent: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    not_before: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    status: Mapped[str] = mapped_column(String(10), server_default=text("'pending'"))
    cursor: Mapped[str | None] = mapped_column(String(200))
    written: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    # the event's commit time at its source (the feed's `occurred_at`): commit-to-inbox latency
    occurred_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done', 'cancelled')", name="status"),
        Index("uq_dispatch_once", "event_id", "kind", unique=True),
        Index("ix_dispatch_pending", "not_before", "id", postgresql_where=text("status = 'pending'")),
        Index("ix_dispatch_subject_key", "kind", "subject_key", postgresql_where=text("status = 'pending'")),
    )
