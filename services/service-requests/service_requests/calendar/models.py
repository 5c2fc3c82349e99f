"""The operator's working-day table: one row per loaded year, one per listed day, and a version."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, Sequence, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from service_requests.database import Base
from shared.db import Timestamps, Versioned

DAY_KINDS = ("holiday", "working_day")
# a sequence, not a counter in the row: a version is never reused, even after the row is emptied
CALENDAR_VERSION = Sequence("calendar_version", metadata=Base.metadata)


class CalendarState(Base):
    """One row: `version` rises with every load, so each replica knows when to re-read the table."""

    __tablename__ = "calendar_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")


class CalendarYear(Timestamps, Versioned, Base):
    """A year loaded from the State Council's notice; it replaces the holiday package for that year."""

    __tablename__ = "calendar_year"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    notice: Mapped[str | None] = mapped_column(String(300))
    loaded_by: Mapped[str] = mapped_column(String(200), nullable=False)


class CalendarDay(Base):
    """A holiday or a make-up working day; the date is the key, so one day has one kind only."""

    __tablename__ = "calendar_day"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in DAY_KINDS)})", name="kind"),
        CheckConstraint("EXTRACT(YEAR FROM day) = year", name="day_in_year"),
        CheckConstraint("kind = 'holiday' OR EXTRACT(ISODOW FROM day) IN (6, 7)", name="working_day_on_weekend"),
    )

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        Integer, ForeignKey("calendar_year.year", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str | None] = mapped_column(String(100))
