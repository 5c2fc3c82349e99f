"""Request and response bodies of the communities domain."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.communities.states import CommunityType, Generation
from shared.iso import IsoDate, IsoDateTime, JsonNumber

__all__ = ["CommunityType", "Generation"]
GovernanceKind = Literal[
    "party_branch",
    "governance_committee",
    "public_service_center",
    "enterprise_social_work_station",
    "new_social_class_organisation",
]


class Boundary(BaseModel):
    """The four sides as the district describes them, and optionally a GeoJSON polygon (WGS-84)."""

    east: str | None = Field(None, max_length=300, examples=["江陵路"])
    west: str | None = Field(None, max_length=300, examples=["江虹路"])
    south: str | None = Field(None, max_length=300, examples=["滨盛路—江晖路—江南大道—泰安路"])
    north: str | None = Field(None, max_length=300, examples=["钱塘江"])
    polygon: dict[str, Any] | None = Field(None, description="GeoJSON Polygon in WGS-84")


class GovernanceBody(BaseModel):
    kind: GovernanceKind
    name: str = Field(min_length=1, max_length=200, examples=["星光产业社区党支部"])
    contact: str | None = Field(None, max_length=200, description="Public contact (office, hotline)")


class StarterCatalogueChoice(BaseModel):
    """Ask the service catalogue to apply its starter catalogue to the new community (carried by
    the `CommunityRegistered` event; the catalogue's own `POST /v1/service-types/starter-catalogue`)."""

    model_config = ConfigDict(extra="forbid")

    bank_partner_id: uuid.UUID | None = Field(None, description="Bank financing is routed to it; absent: to staff")
    mcn_partner_id: uuid.UUID | None = Field(None, description="Livestream marketing is routed to it; absent: to staff")


class CommunityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9][A-Z0-9-]*$", examples=["BJ-CH-XG"])
    name_zh: str = Field(min_length=1, max_length=100, examples=["星光产业社区"])
    name_en: str = Field(min_length=1, max_length=200, examples=["Xingguang Industrial Community"])
    type: CommunityType
    street: str = Field(min_length=1, max_length=100, examples=["长河街道"])
    area_km2: JsonNumber | None = Field(None, gt=0, le=10_000, examples=[0.96])
    boundary: Boundary | None = None
    established_on: IsoDate | None = None
    generation: Generation | None = None
    governance_bodies: list[GovernanceBody] = Field(default_factory=list, max_length=20)
    starter_catalogue: StarterCatalogueChoice | None = Field(
        None, description="Apply the starter service catalogue to it (`{}`: financing and livestream handled by staff)"
    )


class CommunityUpdate(BaseModel):
    """Only the fields sent are changed; `code` never changes."""

    model_config = ConfigDict(extra="forbid")

    name_zh: str | None = Field(None, min_length=1, max_length=100)
    name_en: str | None = Field(None, min_length=1, max_length=200)
    type: CommunityType | None = None
    street: str | None = Field(None, min_length=1, max_length=100)
    area_km2: JsonNumber | None = Field(None, gt=0, le=10_000)
    boundary: Boundary | None = None
    established_on: IsoDate | None = None
    generation: Generation | None = None
    governance_bodies: list[GovernanceBody] | None = Field(None, max_length=20)


class CommunityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    type: CommunityType
    street: str
    area_km2: float | None
    boundary: Boundary | None
    established_on: IsoDate | None
    generation: Generation | None
    governance_bodies: list[GovernanceBody]
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class CommunityStats(BaseModel):
    community_id: uuid.UUID
    as_of: IsoDate
    buildings: int
    buildings_by_kind: dict[str, int]
    active_enterprises: int
    employees: int = Field(
        description="Latest headcount on or before `as_of`, split evenly over an enterprise's buildings"
    )
    average_age: float | None = Field(description="Employee-weighted average age of the reported figures")
    graduates: int = Field(
        description="Talent total: employees with a bachelor's degree or higher (latest figures, split as employees)"
    )
    high_level_talents: int = Field(description="Talent total: recognised high-level talents (latest figures)")
    enterprises_by_industry_section: dict[str, int]


class RollEntry(BaseModel):
    enterprise_id: uuid.UUID
    uscc: str
    name: str
    representative_subject: str | None


class Roll(BaseModel):
    community_id: uuid.UUID
    as_of: IsoDate
    items: list[RollEntry]


class BuildingHeadcount(BaseModel):
    building_id: uuid.UUID
    enterprises: int
    employees: int


class Headcounts(BaseModel):
    community_id: uuid.UUID
    as_of: IsoDate
    items: list[BuildingHeadcount]


MAX_RANGE_DAYS = 366
"""The longest date range one building-counts call answers (a campaign lasts at most this long)."""


class DayBuildingCount(BaseModel):
    day: IsoDate
    buildings: int = Field(description="Buildings that belonged to the community that day")


class BuildingCounts(BaseModel):
    community_id: uuid.UUID
    starts_on: IsoDate
    ends_on: IsoDate
    items: list[DayBuildingCount] = Field(description="One entry per day, oldest first")
