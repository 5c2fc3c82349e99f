"""Bodies of the hazard ledger."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from grid.hazards.states import HazardAction, HazardLevel, HazardStatus
from shared.iso import IsoDate, IsoDateTime, JsonInt

__all__ = ["HazardAction", "HazardLevel", "HazardStatus"]


class HazardCreate(BaseModel):
    grid_id: uuid.UUID
    building_id: uuid.UUID
    floor: JsonInt | None = Field(default=None, ge=-10, le=300)
    enterprise_id: uuid.UUID | None = None
    level: HazardLevel = "general"
    description: str = Field(min_length=1, max_length=2000, examples=["消防通道堆放杂物"])
    deadline: IsoDate = Field(description="Rectification deadline")


class HazardTransition(BaseModel):
    action: HazardAction
    note: str | None = Field(default=None, max_length=2000)


class HazardHistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_status: HazardStatus | None
    to_status: HazardStatus
    actor: str
    note: str | None
    created_at: IsoDateTime


class HazardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    grid_id: uuid.UUID
    building_id: uuid.UUID
    floor: int | None
    enterprise_id: uuid.UUID | None
    inspection_id: uuid.UUID | None
    level: HazardLevel
    description: str
    deadline: IsoDate
    status: HazardStatus
    overdue: bool = Field(default=False, description="Past its deadline and not yet rectified")
    reported_by: str
    version: int
    created_at: IsoDateTime


class HazardDetail(HazardRead):
    history: list[HazardHistoryRead] = []
