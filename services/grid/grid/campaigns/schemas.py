"""Bodies of emergency campaigns, check-ins and the daily status."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from grid.campaigns.states import CampaignKind, CampaignStatus
from shared.iso import IsoDate, JsonInt


class CampaignCreate(BaseModel):
    community_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200, examples=["流感季楼宇排查"])
    kind: CampaignKind = "public_health"
    starts_on: IsoDate


# The summary asks the registry for each day's buildings: the days are bounded, and none is in the future.
MAX_CAMPAIGN_DAYS = 366


class CampaignEnd(BaseModel):
    ends_on: IsoDate = Field(
        description=f"Last day of the campaign (inclusive): not after today, at most {MAX_CAMPAIGN_DAYS} days "
        "after `starts_on` counting both (422 `CAMPAIGN_TOO_LONG`)"
    )


class CampaignSummaryDay(BaseModel):
    day: IsoDate
    expected: int = Field(description="Buildings of the community that day (the registry's answer)")
    reported: int = Field(description="Buildings that checked in that day")
    people_on_site: int
    issues: int = Field(description="Check-ins that reported issues")


class CampaignSummary(BaseModel):
    """Kept when the campaign ends: per day, reported against expected buildings."""

    days: list[CampaignSummaryDay]
    expected_check_ins: int
    check_ins: int
    completion: float | None = Field(description="check_ins / expected_check_ins, rounded to 4 places")
    issues: int
    peak_people_on_site: int


class CampaignRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    kind: CampaignKind
    starts_on: IsoDate
    ends_on: IsoDate | None
    status: CampaignStatus
    summary: CampaignSummary | None
    version: int


class CheckInCreate(BaseModel):
    building_id: uuid.UUID
    grid_id: uuid.UUID
    day: IsoDate | None = Field(default=None, description="Default: today (Asia/Shanghai)")
    people_on_site: JsonInt = Field(ge=0, le=1_000_000)
    issues: str | None = Field(default=None, max_length=2000)


class CheckInRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    campaign_id: uuid.UUID
    building_id: uuid.UUID
    day: IsoDate
    grid_id: uuid.UUID
    people_on_site: int
    issues: str | None
    reported_by: str


class MissingBuilding(BaseModel):
    building_id: uuid.UUID
    name: str
    grid_ids: list[uuid.UUID] = Field(description="Grids the building (or floors of it) belongs to that day")


class CampaignDay(BaseModel):
    campaign_id: uuid.UUID
    day: IsoDate
    buildings_total: int
    reported: int
    missing: list[MissingBuilding]
    people_on_site: int
    issues_reported: int
