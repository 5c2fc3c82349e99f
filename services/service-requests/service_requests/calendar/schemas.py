"""The calendar file format (also the body of `PUT /v1/working-calendar/{year}`) and the views."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from shared.iso import JsonInt

EXAMPLE_BODY: dict[str, JsonValue] = {
    "year": 2027,
    "notice": "EXAMPLE ONLY, not the State Council's dates",
    "holidays": [
        {"date": "2027-01-01", "name": "元旦"},
        {"date": "2027-01-02", "name": "元旦"},
        {"date": "2027-01-03", "name": "元旦"},
    ],
    "working_days": [{"date": "2027-01-09", "name": "元旦调休"}],
}


class CalendarDayEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    name: str | None = Field(default=None, min_length=1, max_length=100, description="e.g. 春节; required for holidays")


class CalendarYearBody(BaseModel):
    """One year of the State Council's notice: every day off and every make-up working day."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_BODY]})
    year: JsonInt = Field(ge=2000, le=2100)
    notice: str | None = Field(default=None, max_length=300, description="The notice's title or number")
    holidays: list[CalendarDayEntry] = Field(
        max_length=366, description="Every day off by the notice, weekend days inside a holiday span included"
    )
    working_days: list[CalendarDayEntry] = Field(
        default_factory=list, max_length=366, description="Make-up working days (调休), each a Saturday or Sunday"
    )


class CalendarYearRead(BaseModel):
    year: int
    notice: str | None
    holidays: list[CalendarDayEntry]
    working_days: list[CalendarDayEntry]
    version: int
    loaded_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class CalendarYearLoaded(CalendarYearRead):
    recomputed_requests: int = Field(description="Open requests whose deadlines were recomputed by this load")


class CalendarYearSummary(BaseModel):
    year: int
    notice: str | None
    holidays: int
    working_days: int
    version: int
    updated_at: dt.datetime


class CalendarOverview(BaseModel):
    package_years: list[int] = Field(description="First and last year `chinese-calendar` covers")
    loaded_years: list[CalendarYearSummary] = Field(description="The operator's tables; each replaces the package")
    covered_through: int = Field(description="The last year of the unbroken run of covered years from today")
    next_year: int
    next_year_missing: bool = Field(description="From 1 November: next year is covered by neither source")
    version: int = Field(description="Rises with every load")
