"""Bodies of facilities, circle parameters and the coverage report."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.iso import IsoDate, JsonInt, JsonNumber

FacilityKind = Literal["life", "medical", "fitness", "reading"]
KINDS: tuple[FacilityKind, ...] = ("life", "medical", "fitness", "reading")


class FacilityCreate(BaseModel):
    community_id: uuid.UUID
    kind: FacilityKind
    sub_kind: str | None = Field(default=None, max_length=50, examples=["clinic"])
    name: str = Field(min_length=1, max_length=200, examples=["星光社区卫生服务站"])
    lat: JsonNumber = Field(ge=-90, le=90, description="WGS-84 latitude")
    lon: JsonNumber = Field(ge=-180, le=180, description="WGS-84 longitude")
    opening_hours: str | None = Field(default=None, max_length=200, examples=["Mo-Su 08:00-20:00"])


class FacilityUpdate(BaseModel):
    sub_kind: str | None = Field(default=None, max_length=50)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    lat: JsonNumber | None = Field(default=None, ge=-90, le=90)
    lon: JsonNumber | None = Field(default=None, ge=-180, le=180)
    opening_hours: str | None = Field(default=None, max_length=200)


class FacilityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    kind: FacilityKind
    sub_kind: str | None
    name: str
    lat: float
    lon: float
    opening_hours: str | None
    version: int


class Circle(BaseModel):
    kind: FacilityKind
    minutes: int = Field(ge=1, le=120)
    walking_speed_kmh: float = Field(gt=0, le=20)
    detour_factor: float = Field(ge=1, le=3)

    @property
    def reach_m(self) -> float:
        """The straight-line distance walkable within the circle's minutes."""
        return self.minutes * self.walking_speed_kmh * 1000 / 60 / self.detour_factor


class CircleUpdate(BaseModel):
    minutes: JsonInt = Field(ge=1, le=120)
    walking_speed_kmh: JsonNumber = Field(default=4.5, gt=0, le=20)
    detour_factor: JsonNumber = Field(default=1.3, ge=1, le=3)


class CircleRead(Circle):
    straight_line_reach_m: float = Field(description="minutes × speed ÷ detour factor")


class NearestFacility(BaseModel):
    facility_id: uuid.UUID
    name: str
    distance_m: float = Field(description="Great-circle (straight-line) distance")
    minutes: float = Field(description="distance × detour factor ÷ walking speed")
    inside: bool


class BuildingCoverage(BaseModel):
    building_id: uuid.UUID
    name: str
    employees: int
    nearest: dict[FacilityKind, NearestFacility | None]


class KindCoverage(BaseModel):
    buildings_total: int
    buildings_inside: int
    employees_total: int
    employees_inside: int
    share_by_employees: float | None = Field(description="Employees inside ÷ employees; null when nobody works here")
    share_by_buildings: float | None
    outside_building_ids: list[uuid.UUID]


class CoverageMethod(BaseModel):
    distance: str
    earth_radius_m: float
    minutes: str
    weights: str
    facilities: str
    as_of: IsoDate


class CoverageReport(BaseModel):
    community_id: uuid.UUID
    method: CoverageMethod
    circles: list[CircleRead]
    coverage: dict[FacilityKind, KindCoverage]
    buildings: list[BuildingCoverage]
    buildings_without_location: list[uuid.UUID]
