"""Bodies of grid workers and duties; phone numbers are shown to staff only."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.field_messages import invalid
from shared.iso import IsoDate

Employment = Literal["full_time", "part_time"]
DutyRole = Literal["primary", "deputy"]


class WorkerCreate(BaseModel):
    community_id: uuid.UUID
    name: str = Field(min_length=1, max_length=100, examples=["王芳"])
    phone: str = Field(min_length=5, max_length=30, pattern=r"^[0-9+\- ]+$", examples=["13800000000"])
    employment: Employment = "full_time"
    user_subject: str | None = Field(default=None, max_length=200, description="The worker's platform account (sub)")
    duty_hours: str | None = Field(
        default=None,
        max_length=100,
        examples=["工作日 9:00-17:30"],
        description="Shown to the residents of its buildings",
    )


class WorkerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    phone: str | None = Field(description="Only community staff and platform admins see it")
    employment: Employment
    user_subject: str | None
    duty_hours: str | None = None
    version: int


class DutyCreate(BaseModel):
    worker_id: uuid.UUID
    role: DutyRole = "primary"
    valid_from: IsoDate
    valid_to: IsoDate | None = Field(default=None, description="Exclusive; null = open-ended")

    @model_validator(mode="after")
    def _period(self) -> DutyCreate:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise invalid("ends_before_start", "valid_to 须晚于 valid_from", "valid_to must be after valid_from")
        return self


class DutyEnd(BaseModel):
    ended_on: IsoDate


class DutyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    grid_id: uuid.UUID
    worker_id: uuid.UUID
    role: DutyRole
    valid_from: IsoDate
    valid_to: IsoDate | None
