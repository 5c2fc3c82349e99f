"""One row per (event, recipient, channel): the inbox item, or a queued WeChat / SMS message.

The unique constraint is the exactly-once rule: a replayed feed, a second replica or a fan-out
resumed after a crash inserts `ON CONFLICT DO NOTHING` and so can never double a notification.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from notifications.database import Base

CHANNELS = ("inbox", "wechat", "sms")
# inbox rows are `delivered` when written; WeChat and SMS rows move queued -> sent | skipped | refused | dead
STATUSES = ("delivered", "queued", "sent", "skipped", "refused", "dead")


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    event_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    urgent: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(60))
    # the WeChat one-time subscription this message spends (unique: one message per subscription)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    # what the WeChat / SMS message carries (template id or code, page, data), fixed when queued
    message: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel", name="uq_notification_once"),
        CheckConstraint("channel IN ('inbox', 'wechat', 'sms')", name="channel"),
        CheckConstraint("status IN ('delivered', 'queued', 'sent', 'skipped', 'refused', 'dead')", name="status"),
        CheckConstraint("(channel = 'inbox') = (status = 'delivered')", name="inbox_delivered"),
        CheckConstraint("channel = 'inbox' OR read_at IS NULL", name="only_inbox_is_read"),
        CheckConstraint("(status = 'queued') = (next_attempt_at IS NOT NULL)", name="queued_has_time"),
        CheckConstraint("subscription_id IS NULL OR channel = 'wechat'", name="subscription_is_wechat"),
        Index(
            "ix_notification_inbox",
            "recipient",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("channel = 'inbox'"),
        ),
        Index("ix_notification_unread", "recipient", postgresql_where=text("channel = 'inbox' AND read_at IS NULL")),
        Index("ix_notification_queue", "next_attempt_at", postgresql_where=text("status = 'queued'")),
        Index("ix_notification_dead", text("created_at DESC"), postgresql_where=text("status = 'dead'")),
    )
