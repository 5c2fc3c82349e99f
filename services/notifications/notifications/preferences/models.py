"""A person's channels for one kind of notification (the inbox always receives it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ARRAY, DateTime, String, text
from sqlalchemy.orm import Mapped, mapped_column

from notifications.database import Base


class Preference(Base):
    __tablename__ = "preference"

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    # the optional channels wanted besides the inbox (e.g. `{wechat}`; empty: the inbox only)
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
