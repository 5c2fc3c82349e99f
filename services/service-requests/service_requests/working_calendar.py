"""The working-day calendar: Chinese public holidays and make-up working days (`chinese-calendar`).

Working time is 09:00-17:00 Asia/Shanghai on working days. A deadline in working days ends at
17:00 of the Nth working day after the submission day; in working hours it counts only working time.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_START = dt.time(9, 0)
DAY_END = dt.time(17, 0)
_MAX_DAYS_SCANNED = 3660


class DeadlineUnit(StrEnum):
    working_hours = "working_hours"
    working_days = "working_days"


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    """A working day by the State Council's schedule; outside the library's years, Monday-Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=SHANGHAI)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """17:00 (Shanghai) of the `days`-th working day after the day of `start`."""
    day = start.astimezone(SHANGHAI).date()
    counted = 0
    for _ in range(_MAX_DAYS_SCANNED):
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
            if counted >= days:
                return _at(day, DAY_END).astimezone(dt.UTC)
    raise ValueError("deadline too far in the future")


def add_working_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """The moment when `hours` of working time have passed since `start`."""
    remaining = dt.timedelta(hours=hours)
    local = start.astimezone(SHANGHAI)
    day = local.date()
    cursor = max(local, _at(day, DAY_START))
    for _ in range(_MAX_DAYS_SCANNED):
        if is_working_day(day) and cursor < _at(day, DAY_END):
            available = _at(day, DAY_END) - cursor
            if remaining <= available:
                return (cursor + remaining).astimezone(dt.UTC)
            remaining -= available
        day += dt.timedelta(days=1)
        cursor = _at(day, DAY_START)
    raise ValueError("deadline too far in the future")


def deadline(start: dt.datetime, amount: int, unit: DeadlineUnit) -> dt.datetime:
    """The due moment `amount` units of working time after `start`."""
    if unit is DeadlineUnit.working_days:
        return add_working_days(start, amount)
    return add_working_hours(start, amount)
