"""Which communities an enterprise has a site in, copied from the registry when a grant needs it."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from identity.database import Base


class EnterpriseCommunity(Base):
    __tablename__ = "enterprise_community"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    community_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))

    # the enterprises of a community (the primary key leads with the enterprise)
    __table_args__ = (Index("ix_enterprise_community_community_id", "community_id", "enterprise_id"),)
