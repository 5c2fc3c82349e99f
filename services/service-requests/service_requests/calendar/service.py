"""Rules of the working-day calendar: validating and loading a year, and the per-process cache.

The cache is the whole calendar in process memory, tagged with the database's calendar version.
Every computation that writes a deadline checks the version (a one-row read, or inside the
submission statement itself) and re-reads the tables when it changed, so a load on one replica
is used by every other from its next deadline on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from service_requests.calendar.exceptions import (
    CalendarDateOutsideYear,
    CalendarDayContradictory,
    CalendarDayDuplicate,
    CalendarHolidayUnnamed,
    CalendarWorkingDayNotWeekend,
    CalendarYearAlreadyLoaded,
    CalendarYearMismatch,
    CalendarYearNotFound,
)
from service_requests.calendar.models import CalendarYear
from service_requests.calendar.repository import CalendarRepository
from service_requests.calendar.schemas import (
    CalendarDayEntry,
    CalendarOverview,
    CalendarYearBody,
    CalendarYearLoaded,
    CalendarYearRead,
    CalendarYearSummary,
)
from service_requests.working_calendar import PACKAGE_YEARS, SHANGHAI, DayKind, WorkingCalendar
from shared.concurrency import check_version
from shared.errors import PreconditionFailed
from shared.i18n import Text
from shared.uow import UnitOfWork

NEXT_YEAR_MISSING = Gauge(
    "working_calendar_next_year_missing",
    "1 from 1 November while next year is covered by neither the holiday table nor the package",
)
COVERED_THROUGH = Gauge(
    "working_calendar_covered_through_year", "Last year of the unbroken run of covered years from today"
)

_cache: WorkingCalendar | None = None


def cached_calendar() -> WorkingCalendar | None:
    """The calendar this process holds (None before the first read); a statement must check its version."""
    return _cache


async def current_calendar(uow: UnitOfWork) -> WorkingCalendar:
    """The calendar, re-read from the database when its version changed since this process read it."""
    global _cache
    repository = uow.repository(CalendarRepository)
    version = await repository.version()
    if _cache is None or _cache.version != version:
        _cache = WorkingCalendar(await repository.tables(), version)
        report(_cache, shanghai_today())
    return _cache


def shanghai_today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def covered_through(calendar: WorkingCalendar, today: dt.date) -> int:
    year = today.year
    while calendar.covers(year + 1):
        year += 1
    return year if calendar.covers(today.year) else today.year - 1


def report(calendar: WorkingCalendar, today: dt.date) -> None:
    """Set the gauges from this calendar as of `today`."""
    NEXT_YEAR_MISSING.set(1 if calendar.next_year_missing(today) else 0)
    COVERED_THROUGH.set(covered_through(calendar, today))


async def readiness_warnings(session: AsyncSession, today: dt.date) -> list[dict[str, Any]]:
    """A warning for `/readyz` (which stays ready) from 1 November while next year is missing.

    `/readyz` (shared/health.py) hands its probe session; the check needs no hot path."""
    calendar = await current_calendar(UnitOfWork(session, None))
    report(calendar, today)
    if not calendar.next_year_missing(today):
        return []
    return [
        {
            "code": "WORKING_CALENDAR_NEXT_YEAR_MISSING",
            "detail": (
                f"No working-day calendar for {today.year + 1}: deadlines reaching it are provisional "
                "(Monday-Friday) until the year is loaded"
            ),
            "year": today.year + 1,
        }
    ]


async def overview(uow: UnitOfWork, today: dt.date) -> CalendarOverview:
    """Which years are covered, by what, and whether next year is missing."""
    calendar = await current_calendar(uow)
    summaries = await uow.repository(CalendarRepository).summaries()
    return CalendarOverview(
        package_years=[PACKAGE_YEARS.start, PACKAGE_YEARS.stop - 1],
        loaded_years=[CalendarYearSummary.model_validate(summary) for summary in summaries],
        covered_through=covered_through(calendar, today),
        next_year=today.year + 1,
        next_year_missing=calendar.next_year_missing(today),
        version=calendar.version,
    )


async def read_year(uow: UnitOfWork, year: int) -> CalendarYearRead:
    """The loaded table of one year; 404 when the year has none (the package may still cover it)."""
    repository = uow.repository(CalendarRepository)
    row = await repository.get(year)
    if row is None:
        raise CalendarYearNotFound()
    return _read(row, await repository.days(year))


def _read(row: CalendarYear, days: list[Any]) -> CalendarYearRead:
    def entries(kind: DayKind) -> list[CalendarDayEntry]:
        return [CalendarDayEntry(date=day.day, name=day.name) for day in days if day.kind == kind.value]

    return CalendarYearRead(
        year=row.year,
        notice=row.notice,
        holidays=entries(DayKind.holiday),
        working_days=entries(DayKind.working_day),
        version=row.version,
        loaded_by=row.loaded_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def validate(body: CalendarYearBody) -> list[dict[str, Any]]:
    """The rows of a year's table, or the first problem: outside the year, twice, both kinds, a weekday.

    Details name the rule and the pointer names the entry; the input is never echoed back.
    """
    seen: dict[dt.date, str] = {}
    rows: list[dict[str, Any]] = []
    for field, kind in (("holidays", DayKind.holiday), ("working_days", DayKind.working_day)):
        for index, entry in enumerate(getattr(body, field)):
            pointer = f"/{field}/{index}/date"
            if entry.date.year != body.year:
                raise CalendarDateOutsideYear(errors=[{"detail": "not in the stated year", "pointer": pointer}])
            if entry.date in seen:
                problem = CalendarDayDuplicate if seen[entry.date] == field else CalendarDayContradictory
                raise problem(
                    errors=[{"detail": f"the same date is listed under {seen[entry.date]}", "pointer": pointer}]
                )
            if kind is DayKind.working_day and entry.date.weekday() < 5:
                raise CalendarWorkingDayNotWeekend(errors=[{"detail": "a Monday-Friday date", "pointer": pointer}])
            if kind is DayKind.holiday and entry.name is None:
                raise CalendarHolidayUnnamed(
                    errors=[{"detail": "name is required", "pointer": f"/{field}/{index}/name"}]
                )
            seen[entry.date] = field
            rows.append({"day": entry.date, "kind": kind.value, "name": entry.name})
    return rows


async def load_year(
    uow: UnitOfWork,
    body: CalendarYearBody,
    *,
    loaded_by: str,
    now: dt.datetime,
    expected_version: int | None = None,
    replace: bool = False,
    path_year: int | None = None,
) -> CalendarYearLoaded:
    """Load (or replace) a year's table and recompute the open deadlines it touches, in one transaction.

    A year already loaded is 409 unless `expected_version` matches it (412 when stale) or `replace`.
    """
    # imported here: the requests services import this module, so a top-level import would be circular
    from service_requests.requests.jobs import recompute_deadlines
    from service_requests.requests.repository import RequestRepository

    if path_year is not None and path_year != body.year:
        raise CalendarYearMismatch(errors=[{"detail": "must be the year of the path", "pointer": "/year"}])
    rows = validate(body)
    repository = uow.repository(CalendarRepository)
    requests = uow.repository(RequestRepository)
    await repository.bump_version()  # loads queue here, one at a time
    await requests.lock_for_calendar_change()
    before = WorkingCalendar(await repository.tables(), await repository.version())
    existing = await repository.get(body.year)
    if existing is None:
        if expected_version is not None:
            raise PreconditionFailed(Text("该年度尚未加载", "This year is not loaded yet"))
        existing = CalendarYear(year=body.year, notice=body.notice, loaded_by=loaded_by, created_at=now)
        repository.add(existing)
    else:
        if expected_version is None and not replace:
            raise CalendarYearAlreadyLoaded(extra={"version": existing.version})
        if expected_version is not None:
            check_version(expected_version, existing.version)
        existing.notice = body.notice
        existing.loaded_by = loaded_by
        existing.updated_at = now  # a change, so the ORM bumps the version
    await repository.flush()
    await repository.replace_days(body.year, rows)
    after = WorkingCalendar(await repository.tables(), await repository.version())
    recomputed = await recompute_deadlines(uow, before, after, body.year, now)
    await repository.refresh(existing)
    read = _read(existing, await repository.days(body.year))
    return CalendarYearLoaded(**read.model_dump(), recomputed_requests=recomputed)
