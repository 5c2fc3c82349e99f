"""Communities: the industrial communities of a street, with their governance bodies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.communities.states import COMMUNITY_TYPES, GENERATIONS
from registry.communities.states import one_of as _in
from registry.database import Base
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


class Community(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "community"
    __table_args__ = (
        CheckConstraint(_in("type", COMMUNITY_TYPES), name="type"),
        CheckConstraint(_in("generation", GENERATIONS), name="generation"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32), index=True)
    street: Mapped[str] = mapped_column(String(100), index=True)
    area_km2: Mapped[float | None] = mapped_column(Float)
    # {"east": ..., "west": ..., "south": ..., "north": ..., "polygon": GeoJSON | null}
    boundary: Mapped[dict[str, Any] | None]
    established_on: Mapped[dt.date | None]
    generation: Mapped[str | None] = mapped_column(String(8))
    # [{"kind": ..., "name": ..., "contact": ...}], one per governance body
    governance_bodies: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
