"""Request and response bodies of grids, assignments and community grid settings."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.field_messages import invalid
from shared.iso import IsoDate, JsonInt

GridKind = Literal["basic", "dedicated"]


class GridCreate(BaseModel):
    community_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200, examples=["星光 1 号网格"])
    kind: GridKind = "basic"
    parent_id: uuid.UUID | None = Field(default=None, description="Makes this a micro-grid (e.g. floors of a tower)")
    valid_from: IsoDate
    valid_to: IsoDate | None = Field(default=None, description="Exclusive; null = open-ended")

    @model_validator(mode="after")
    def _period(self) -> GridCreate:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise invalid("ends_before_start", "valid_to 须晚于 valid_from", "valid_to must be after valid_from")
        return self


class GridUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: GridKind | None = None


class GridRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    code: str = Field(description="Stable, never reused: community code + sequence (+ micro-grid suffix)")
    name: str
    kind: GridKind
    parent_id: uuid.UUID | None
    valid_from: IsoDate
    valid_to: IsoDate | None
    retired: bool
    successor_ids: list[uuid.UUID] = []
    version: int


class GridReference(BaseModel):
    """What another platform service needs of a grid: its community (the identity service's grants)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    retired: bool
    worker_on_duty: bool | None = Field(
        None, description="With `user_subject`: whether that account's worker has a current or coming duty here"
    )


class GridRetirement(BaseModel):
    retired_on: IsoDate = Field(description="First day the grid no longer exists")
    successor_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class AssignmentCreate(BaseModel):
    building_id: uuid.UUID
    floor_from: JsonInt | None = Field(default=None, ge=-10, le=300, description="Inclusive; null = from the bottom")
    floor_to: JsonInt | None = Field(default=None, ge=-10, le=300, description="Inclusive; null = to the top")
    valid_from: IsoDate
    valid_to: IsoDate | None = Field(default=None, description="Exclusive; null = open-ended")

    @model_validator(mode="after")
    def _ranges(self) -> AssignmentCreate:
        if self.floor_from is not None and self.floor_to is not None and self.floor_to < self.floor_from:
            raise invalid("floors_reversed", "floor_to 不得低于 floor_from", "floor_to must not be below floor_from")
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise invalid("ends_before_start", "valid_to 须晚于 valid_from", "valid_to must be after valid_from")
        return self


class AssignmentEnd(BaseModel):
    ended_on: IsoDate = Field(description="First day the building is no longer in the grid")
    reason: str | None = Field(default=None, max_length=200)


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    grid_id: uuid.UUID
    community_id: uuid.UUID
    building_id: uuid.UUID
    floor_from: int | None
    floor_to: int | None
    valid_from: IsoDate
    valid_to: IsoDate | None
    end_reason: str | None


class UnassignedBuilding(BaseModel):
    building_id: uuid.UUID
    name: str


class UnassignedBuildings(BaseModel):
    community_id: uuid.UUID
    as_of: IsoDate
    items: list[UnassignedBuilding]


class CommunitySettings(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    community_id: uuid.UUID
    patrol_interval_days: int = Field(description="Each building must be inspected at least this often")


class CommunitySettingsUpdate(BaseModel):
    patrol_interval_days: JsonInt = Field(ge=1, le=366)
