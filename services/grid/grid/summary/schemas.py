"""The grid summary."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from shared.iso import IsoDate


class OnDuty(BaseModel):
    worker_id: uuid.UUID
    name: str
    role: str


class GridSummary(BaseModel):
    grid_id: uuid.UUID
    code: str
    as_of: IsoDate
    buildings: int
    buildings_split_by_floors: int = Field(description="Buildings only some floors of which belong to the grid")
    enterprises: int = Field(description="From the registry; whole buildings, also where only floors are in the grid")
    employees: int
    open_hazards: dict[str, int] = Field(description="By level: general, major")
    overdue_events: int
    stale_buildings: int
    on_duty: list[OnDuty]
