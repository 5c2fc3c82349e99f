"""Service requests and their timeline (transitions, comments, escalations, ratings)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy import Text as SqlText
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service_requests.database import Base
from service_requests.requests.workflow import Status
from shared.db import Timestamps, UUIDPrimaryKey, Versioned

# the status set is the workflow's (requests/workflow.py), the one definition
STATUSES = tuple(status.value for status in Status)

# `deadline`: the working-day calendar changed and the request's deadlines were recomputed
EVENT_KINDS = ("transition", "comment", "escalation", "rating", "deadline", "return_visit", "attachment")


class ServiceRequest(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """One request; type fields are copied at submission so later type edits never change it."""

    __tablename__ = "service_request"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="status"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        # 好差评: one follow-up rating, only after a first rating that was bad (1-2)
        CheckConstraint(
            "follow_up_rating IS NULL OR (follow_up_rating BETWEEN 1 AND 5 AND rating <= 2)", name="follow_up_rating"
        ),
        CheckConstraint("return_visited_at IS NULL OR return_visit_due_at IS NOT NULL", name="return_visit_owed"),
        Index("ix_service_request_community_created", "community_id", "created_at", "id"),
        Index("ix_service_request_enterprise_type_created", "enterprise_id", "type_id", "created_at"),
        Index("ix_service_request_requester_created", "requester_subject", "created_at", "id"),
        Index("ix_service_request_partner_created", "routed_partner_id", "created_at", "id"),
        Index("ix_service_request_created", "created_at", "id"),
        # `q`: the description's characters and its pg_trgm trigrams, both from built-in C functions
        # (the repository's `description_contains`; migration c5e8f2a1d947 says why not a SQL function)
        Index(
            "ix_service_request_description_characters",
            text("string_to_array(description, NULL)"),
            postgresql_using="gin",
        ),
        Index(
            "ix_service_request_description_trgm",
            "description",
            postgresql_using="gin",
            postgresql_ops={"description": "gin_trgm_ops"},
        ),
    )

    # No foreign key on purpose: every submission would take a KEY SHARE lock on the same hot
    # service_type row (MultiXact contention). Types are never deleted, and the submission
    # statement inserts only when the type exists, is active and has the expected version.
    type_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    type_version: Mapped[int] = mapped_column(Integer, nullable=False)
    type_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    scenario: Mapped[str] = mapped_column(String(40), nullable=False)
    community_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column()
    requester_subject: Mapped[str] = mapped_column(String(200), nullable=False)
    requester_role: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False)
    description: Mapped[str] = mapped_column(SqlText, nullable=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    building_id: Mapped[uuid.UUID | None] = mapped_column()
    floor: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    address: Mapped[str | None] = mapped_column(String(500))
    attachments: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default="[]")
    handler_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    routed_partner_id: Mapped[uuid.UUID | None] = mapped_column()
    assignee_subject: Mapped[str | None] = mapped_column(String(200))
    acknowledge_due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    resolve_due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # start of the running resolve clock (submission, or the reopening); escalation measures from it
    clock_started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # a deadline reached a year the working-day calendar does not cover (counted Monday-Friday)
    deadlines_provisional: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    escalation_level: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")
    reopen_count: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(SqlText)
    rated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # 好差评 after a bad rating: a return visit within 1 working day, then one follow-up rating
    return_visit_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    return_visited_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    return_visit_escalated: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    follow_up_rating: Mapped[int | None] = mapped_column(SmallInteger)
    follow_up_rated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # when the requester consented to share the request with a partner (issue 7)
    share_consent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the structured outcome of the last resolution (financing or mcn_campaign)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class RequestEvent(Base):
    """A timeline row: a transition (the history), a comment, an escalation or a rating."""

    __tablename__ = "request_event"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in EVENT_KINDS)})", name="kind"),
        Index("ix_request_event_request_seq", "request_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(nullable=False, unique=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_subject: Mapped[str] = mapped_column(String(200), nullable=False)
    actor_role: Mapped[str] = mapped_column(String(40), nullable=False)
    action: Mapped[str | None] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    body: Mapped[str | None] = mapped_column(SqlText)
    internal: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


DEADLINE_KINDS = ("acknowledge", "resolve")
DEADLINE_NOTICE_SHARE = 0.8  # a deadline is "approaching" once this share of its time has passed


class DeadlineNotice(Base):
    """A deadline-approaching notice written: its key makes it once per request, deadline and clock.

    `clock` is the request's reopen count, so a reopened request's rectification deadline gets its own.
    """

    __tablename__ = "deadline_notice"
    __table_args__ = (CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in DEADLINE_KINDS)})", name="kind"),)

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    clock: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


@dataclass(slots=True)
class NewRequest:
    """A request being filed: every column the submission writes, computed from its type version.

    The hot path inserts it with one statement and answers from these values (no ORM row is made).
    """

    id: uuid.UUID
    type_id: uuid.UUID
    type_version: int
    type_snapshot: dict[str, Any]
    category: str
    scenario: str
    community_id: uuid.UUID
    enterprise_id: uuid.UUID | None
    requester_subject: str
    requester_role: str
    description: str
    answers: dict[str, Any]
    building_id: uuid.UUID | None
    floor: int | None
    latitude: float | None
    longitude: float | None
    address: str | None
    attachments: list[Any]
    handler_kind: str
    routed_partner_id: uuid.UUID | None
    share_consent: bool  # recorded in the RequestSubmitted event
    share_consent_at: dt.datetime | None
    acknowledge_due_at: dt.datetime
    resolve_due_at: dt.datetime
    deadlines_provisional: bool
    calendar_version: int  # the statement checks it; not stored
    created_at: dt.datetime
    status: str = Status.submitted.value
    outcome: dict[str, Any] | None = None
    assignee_subject: str | None = None
    acknowledged_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    escalation_level: int = 0
    reopen_count: int = 0
    rating: int | None = None
    rating_comment: str | None = None
    return_visit_due_at: dt.datetime | None = None
    return_visited_at: dt.datetime | None = None
    follow_up_rating: int | None = None
    version: int = 1

    @property
    def clock_started_at(self) -> dt.datetime:
        return self.created_at

    @property
    def updated_at(self) -> dt.datetime:
        return self.created_at
