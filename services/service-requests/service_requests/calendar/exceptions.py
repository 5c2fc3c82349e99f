"""Errors of the working-day calendar."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import Text


class CalendarYearNotFound(NotFound):
    code = "CALENDAR_YEAR_NOT_FOUND"
    title = Text("该年度的节假日表未加载", "No holiday table is loaded for this year")


class CalendarYearAlreadyLoaded(Conflict):
    code = "CALENDAR_YEAR_ALREADY_LOADED"
    title = Text("该年度已加载;替换请带 If-Match", "This year is already loaded; send If-Match to replace it")


class CalendarYearMismatch(ValidationFailed):
    code = "CALENDAR_YEAR_MISMATCH"
    title = Text("路径中的年份与文件中的年份不一致", "The year in the path and in the body differ")


class CalendarDateOutsideYear(ValidationFailed):
    code = "CALENDAR_DATE_OUTSIDE_YEAR"
    title = Text("日期不在所声明的年度内", "A date is outside the stated year")


class CalendarDayDuplicate(ValidationFailed):
    code = "CALENDAR_DAY_DUPLICATE"
    title = Text("同一日期重复列出", "A date is listed twice")


class CalendarDayContradictory(ValidationFailed):
    code = "CALENDAR_DAY_CONTRADICTORY"
    title = Text("同一日期既是假日又是调休工作日", "A date is both a holiday and a working day")


class CalendarWorkingDayNotWeekend(ValidationFailed):
    code = "CALENDAR_WORKING_DAY_NOT_WEEKEND"
    title = Text("调休工作日须为周六或周日", "A make-up working day must be a Saturday or Sunday")


class CalendarHolidayUnnamed(ValidationFailed):
    code = "CALENDAR_HOLIDAY_UNNAMED"
    title = Text("假日须注明名称", "Every holiday needs a name")
