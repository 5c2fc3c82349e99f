"""The registry's representative record of each enterprise, as its feed last told it."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Date, DateTime, String, text
from sqlalchemy.orm import Mapped, mapped_column

from identity.database import Base


class Representative(Base):
    __tablename__ = "representative"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # normalised (`+86` and 11 digits); None when the registry has none or an unusable one
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    user_subject: Mapped[str | None] = mapped_column(String(200), index=True)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    # the feed position of the event this row reflects: a replayed older event changes nothing
    event_seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
