"""Attachments of hazards, grid events and inspections: one row per file, pending until confirmed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from grid.attachments.states import ATTACHMENT_STATUSES, ITEM_KINDS, STAGES_OF
from grid.database import Base
from grid.states import one_of
from shared.db import Timestamps, UUIDPrimaryKey
from shared.media import ACCEPTED

_STAGE_BY_KIND = " OR ".join(
    f"(item_kind = '{kind}' AND " + (f"{one_of('stage', stages)})" if stages else "stage IS NULL)")
    for kind, stages in STAGES_OF.items()
)


class Attachment(UUIDPrimaryKey, Timestamps, Base):
    """A file of an item. `slot` (1..the per-item limit) is unique per item, so the database, not a
    count in the code, keeps an item at its limit however many uploads race."""

    __tablename__ = "attachment"

    item_kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[uuid.UUID]
    community_id: Mapped[uuid.UUID]
    slot: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(255))
    declared_type: Mapped[str] = mapped_column(String(40))
    declared_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    expires_at: Mapped[dt.datetime]  # of the upload target; a pending row past it is swept
    # what was stored on confirmation (a HEIC photo is kept as JPEG, EXIF removed)
    content_type: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_thumbnail: Mapped[bool] = mapped_column(default=False, server_default="false")
    confirmed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", "slot"),
        CheckConstraint(one_of("item_kind", ITEM_KINDS), name="item_kind"),
        CheckConstraint(_STAGE_BY_KIND, name="stage"),
        CheckConstraint(one_of("status", ATTACHMENT_STATUSES), name="status"),
        CheckConstraint(one_of("declared_type", ACCEPTED), name="declared_type"),
        CheckConstraint("slot >= 1", name="slot"),
        CheckConstraint("declared_size > 0", name="declared_size"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256"),
        CheckConstraint("(status = 'confirmed') = (confirmed_at IS NOT NULL AND size IS NOT NULL)", name="confirmed"),
        Index("ix_attachment_pending_expiry", "expires_at", postgresql_where=text("status = 'pending'")),
    )
