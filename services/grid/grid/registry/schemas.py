"""The parts of the registry's contract the grid service reads."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict

from shared.iso import IsoDate


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Community(_Lenient):
    id: uuid.UUID
    code: str
    name_zh: str | None = None
    name_en: str | None = None


class Location(_Lenient):
    lat: float
    lon: float


class Building(_Lenient):
    id: uuid.UUID
    name: str
    kind: str | None = None
    location: Location | None = None
    floors: int | None = None
    community_id: uuid.UUID | None = None


class JurisdictionPeriod(_Lenient):
    community_id: uuid.UUID
    valid_from: IsoDate
    valid_to: IsoDate | None = None

    def covers(self, start: dt.date, end: dt.date | None) -> bool:
        """Whether [start, end) lies inside this period (`None` = open-ended)."""
        if start < self.valid_from:
            return False
        if self.valid_to is None:
            return True
        return end is not None and end <= self.valid_to


class Occupancy(_Lenient):
    """A site of an enterprise: a building for a period (`valid_to` exclusive)."""

    building_id: uuid.UUID
    valid_from: IsoDate
    valid_to: IsoDate | None = None

    def on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


class Headcount(_Lenient):
    building_id: uuid.UUID
    enterprises: int
    employees: int


class DayBuildingCount(BaseModel):
    day: dt.date
    buildings: int


class BuildingCounts(BaseModel):
    """The registry's buildings of a community per day of a range."""

    items: list[DayBuildingCount]
