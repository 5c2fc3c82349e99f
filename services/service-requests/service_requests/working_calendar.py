"""The working-day calendar: Chinese public holidays and make-up working days (调休).

Pure logic, no I/O. A year is covered by the operator's table (loaded from the State Council's
annual notice; it replaces the package for that year) or else by `chinese-calendar`. A year neither
covers counts Monday-Friday and makes the deadline `provisional`: never a silent fallback.

Working time is 09:00-17:00 Asia/Shanghai on working days. A deadline in working days ends at
17:00 of the Nth working day after the submission day; in working hours it counts only working time.
It is the only module that counts working days (only service-requests does so today).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _package

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_START = dt.time(9, 0)
DAY_END = dt.time(17, 0)
_MAX_DAYS_SCANNED = 3660
# the years the holiday package knows (it raises NotImplementedError outside them)
PACKAGE_YEARS = range(min(_package.holidays).year, max(_package.holidays).year + 1)
# from this day of the year on, a missing next year is a warning (readiness, metric)
WARN_FROM = (11, 1)


class DeadlineUnit(StrEnum):
    working_hours = "working_hours"
    working_days = "working_days"


class DayKind(StrEnum):
    holiday = "holiday"  # a day off by the notice (weekend days inside a holiday span included)
    working_day = "working_day"  # a make-up working day (调休) on a Saturday or Sunday


class Deadline(NamedTuple):
    due_at: dt.datetime
    provisional: bool  # it reached a year the calendar does not cover, counted Monday-Friday


class YearNotCovered(Exception):
    """A strict computation reached a year that neither the table nor the package covers."""


@dataclass(frozen=True)
class WorkingCalendar:
    """The package's years with the operator's tables over them; `version` changes on every load."""

    tables: Mapping[int, Mapping[dt.date, DayKind]] = field(default_factory=dict)
    version: int = 0

    def covers(self, year: int) -> bool:
        return year in self.tables or year in PACKAGE_YEARS

    def source(self, year: int) -> str | None:
        """`table`, `package` or None (not covered)."""
        if year in self.tables:
            return "table"
        return "package" if year in PACKAGE_YEARS else None

    def is_working_day(self, day: dt.date) -> bool:
        """Working by the table or the package; Monday-Friday in a year neither covers (check `covers`)."""
        table = self.tables.get(day.year)
        if table is not None:
            kind = table.get(day)
            return kind is DayKind.working_day if kind is not None else day.weekday() < 5
        if day.year in PACKAGE_YEARS:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def next_year_missing(self, today: dt.date) -> bool:
        """From 1 November: whether next year is still uncovered."""
        return (today.month, today.day) >= WARN_FROM and not self.covers(today.year + 1)

    def add_working_days(self, start: dt.datetime, days: int) -> Deadline:
        """17:00 (Shanghai) of the `days`-th working day after the day of `start`."""
        day = start.astimezone(SHANGHAI).date()
        provisional = not self.covers(day.year)
        counted = 0
        for _ in range(_MAX_DAYS_SCANNED):
            day += dt.timedelta(days=1)
            provisional = provisional or not self.covers(day.year)
            if self.is_working_day(day):
                counted += 1
                if counted >= days:
                    return Deadline(_at(day, DAY_END).astimezone(dt.UTC), provisional)
        raise ValueError("deadline too far in the future")

    def add_working_hours(self, start: dt.datetime, hours: float) -> Deadline:
        """The moment when `hours` of working time have passed since `start`."""
        remaining = dt.timedelta(hours=hours)
        local = start.astimezone(SHANGHAI)
        day = local.date()
        cursor = max(local, _at(day, DAY_START))
        provisional = False
        for _ in range(_MAX_DAYS_SCANNED):
            provisional = provisional or not self.covers(day.year)
            if self.is_working_day(day) and cursor < _at(day, DAY_END):
                available = _at(day, DAY_END) - cursor
                if remaining <= available:
                    return Deadline((cursor + remaining).astimezone(dt.UTC), provisional)
                remaining -= available
            day += dt.timedelta(days=1)
            cursor = _at(day, DAY_START)
        raise ValueError("deadline too far in the future")

    def deadline(self, start: dt.datetime, amount: int, unit: DeadlineUnit) -> Deadline:
        """The due moment `amount` units of working time after `start`, and whether it is provisional."""
        if unit is DeadlineUnit.working_days:
            return self.add_working_days(start, amount)
        return self.add_working_hours(start, amount)


PACKAGE_ONLY = WorkingCalendar()


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=SHANGHAI)


def _strict(result: Deadline) -> dt.datetime:
    if result.provisional:
        raise YearNotCovered("the deadline reaches a year the working-day calendar does not cover")
    return result.due_at


def is_working_day(day: dt.date, calendar: WorkingCalendar = PACKAGE_ONLY) -> bool:
    """Strict: raises `YearNotCovered` for a year the calendar does not cover."""
    if not calendar.covers(day.year):
        raise YearNotCovered(f"{day.year} is not covered by the working-day calendar")
    return calendar.is_working_day(day)


def add_working_days(start: dt.datetime, days: int, calendar: WorkingCalendar = PACKAGE_ONLY) -> dt.datetime:
    """Strict `WorkingCalendar.add_working_days`: raises `YearNotCovered` instead of guessing."""
    return _strict(calendar.add_working_days(start, days))


def add_working_hours(start: dt.datetime, hours: float, calendar: WorkingCalendar = PACKAGE_ONLY) -> dt.datetime:
    """Strict `WorkingCalendar.add_working_hours`: raises `YearNotCovered` instead of guessing."""
    return _strict(calendar.add_working_hours(start, hours))


def deadline(
    start: dt.datetime, amount: int, unit: DeadlineUnit, calendar: WorkingCalendar = PACKAGE_ONLY
) -> dt.datetime:
    """Strict `WorkingCalendar.deadline`: raises `YearNotCovered` instead of guessing."""
    return _strict(calendar.deadline(start, amount, unit))
