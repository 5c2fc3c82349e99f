"""Policies, the enterprises each was offered to (with why), and the representatives' answers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from registry.communities.states import one_of as _in
from registry.database import Base
from registry.policies.states import ANSWERS
from shared.db import Timestamps, UUIDPrimaryKey, Versioned

ONE_ANSWER = "pk_policy_answer"


class Policy(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """A published policy; `community_id` NULL means district-wide (published by a platform admin)."""

    __tablename__ = "policy"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
        Index("ix_policy_created_at_id", "created_at", "id"),
    )

    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("community.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]  # inclusive; NULL: until withdrawn
    rules: Mapped[list[Any]]
    published_by: Mapped[str] = mapped_column(String(200))
    matched_on: Mapped[dt.date]  # the business date whose facts the matches were computed on


class PolicyMatch(Base):
    """An enterprise a policy was offered to, with the facts that satisfied each rule."""

    __tablename__ = "policy_match"
    __table_args__ = (Index("ix_policy_match_enterprise_id_matched_at", "enterprise_id", "matched_at", "policy_id"),)

    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True)
    # the communities of its sites on the matching date: staff of those see the match
    community_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    reasons: Mapped[list[Any]]
    matched_at: Mapped[dt.datetime] = mapped_column(server_default=text("now()"))


class PolicyAnswer(Base):
    """A representative's one answer for their enterprise: `applied` or `not_relevant`."""

    __tablename__ = "policy_answer"
    __table_args__ = (
        ForeignKeyConstraint(
            ["policy_id", "enterprise_id"],
            ["policy_match.policy_id", "policy_match.enterprise_id"],
            ondelete="CASCADE",
            name="fk_policy_answer_policy_match",
        ),
        CheckConstraint(_in("answer", ANSWERS), name="answer"),
    )

    # the primary key is the invariant: one answer per enterprise and policy
    policy_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))
    answered_by: Mapped[str] = mapped_column(String(200))
    answered_at: Mapped[dt.datetime] = mapped_column(server_default=text("now()"))
