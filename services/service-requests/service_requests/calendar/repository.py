"""SQL of the working-day calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from service_requests.calendar.models import CALENDAR_VERSION, CalendarDay, CalendarState, CalendarYear
from service_requests.working_calendar import DayKind
from shared.uow import Repository

STATE = cast(Table, CalendarState.__table__)
DAY = cast(Table, CalendarDay.__table__)


class CalendarRepository(Repository):
    async def version(self) -> int:
        """The current calendar version: one primary-key read (0 before any load)."""
        found = (await self.session.execute(select(STATE.c.version).where(STATE.c.id == 1))).scalar_one_or_none()
        return int(found or 0)

    async def bump_version(self) -> int:
        """A new version, taking the state row's lock until the transaction ends (loads queue on it)."""
        new = pg_insert(STATE).values(id=1, version=CALENDAR_VERSION.next_value())
        statement = new.on_conflict_do_update(index_elements=[STATE.c.id], set_={"version": new.excluded.version})
        return int((await self.session.execute(statement.returning(STATE.c.version))).scalar_one())

    async def tables(self) -> dict[int, dict[dt.date, DayKind]]:
        """Every loaded year's listed days; a loaded year with no day listed is an empty table."""
        tables: dict[int, dict[dt.date, DayKind]] = {
            year: {} for year in (await self.session.execute(select(CalendarYear.year))).scalars()
        }
        for day, year, kind in (await self.session.execute(select(DAY.c.day, DAY.c.year, DAY.c.kind))).all():
            tables.setdefault(year, {})[day] = DayKind(kind)
        return tables

    async def summaries(self) -> list[dict[str, Any]]:
        """Loaded years with their counts of holidays and working days, aggregated in SQL."""
        holidays = func.count(CalendarDay.day).filter(CalendarDay.kind == DayKind.holiday.value)
        working = func.count(CalendarDay.day).filter(CalendarDay.kind == DayKind.working_day.value)
        statement = (
            select(
                CalendarYear.year,
                CalendarYear.notice,
                CalendarYear.version,
                CalendarYear.updated_at,
                holidays.label("holidays"),
                working.label("working_days"),
            )
            .outerjoin(CalendarDay, CalendarDay.year == CalendarYear.year)
            .group_by(CalendarYear.year)
            .order_by(CalendarYear.year)
        )
        return [dict(row._mapping) for row in (await self.session.execute(statement)).all()]

    async def get(self, year: int) -> CalendarYear | None:
        return await self.session.get(CalendarYear, year)

    async def days(self, year: int) -> list[CalendarDay]:
        statement = select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day)
        return list((await self.session.execute(statement)).scalars())

    def add(self, row: CalendarYear) -> None:
        self.session.add(row)

    async def replace_days(self, year: int, days: Sequence[dict[str, Any]]) -> None:
        """The year's listed days become exactly `days` (`day`, `kind`, `name`)."""
        await self.session.execute(delete(DAY).where(DAY.c.year == year))
        if days:
            await self.session.execute(insert(DAY), [{**day, "year": year} for day in days])

    async def flush(self) -> None:
        await self.session.flush()

    async def refresh(self, year: CalendarYear) -> None:
        """Re-read a loaded year (its version moved with the load)."""
        await self.session.refresh(year)
