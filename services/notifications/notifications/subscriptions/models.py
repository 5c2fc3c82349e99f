"""What a person accepted in `wx.requestSubscribeMessage`: one row per accepted one-time template."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, DateTime, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from notifications.database import Base


class WeChatSubscription(Base):
    """A one-time subscription allows one message: the message that spends it is written in
    `notification_id` (unique), whether WeChat then delivered it or answered 43101."""

    __tablename__ = "wechat_subscription"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    subject: Mapped[str] = mapped_column(String(200))
    template_id: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    notification_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("used_at IS NULL OR notification_id IS NOT NULL", name="used_by_a_message"),
        Index(
            "ix_wechat_subscription_open",
            "subject",
            "template_id",
            "accepted_at",
            postgresql_where=text("notification_id IS NULL"),
        ),
    )
