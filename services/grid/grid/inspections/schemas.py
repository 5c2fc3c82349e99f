"""Bodies of checklist templates, inspections and patrol freshness."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grid.hazards.schemas import HazardLevel
from shared.iso import IsoDate, IsoDateTime, JsonInt

Category = Literal["fire_safety", "electrical", "public_health", "other"]


class ChecklistItem(BaseModel):
    key: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$", examples=["exits_clear"])
    question: str = Field(min_length=1, max_length=500, examples=["安全出口是否畅通"])


class TemplateCreate(BaseModel):
    community_id: uuid.UUID | None = Field(default=None, description="Null: offered to every community")
    name: str = Field(min_length=1, max_length=200)
    category: Category
    items: list[ChecklistItem] = Field(min_length=1, max_length=100)


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID | None
    name: str
    category: Category
    items: list[ChecklistItem]
    active: bool
    version: int


class Finding(BaseModel):
    description: str = Field(min_length=1, max_length=2000)
    level: HazardLevel = "general"
    raise_hazard: bool = Field(default=False, description="Enter it in the hazard ledger")
    deadline: IsoDate | None = Field(default=None, description="Rectification deadline when a hazard is raised")


class InspectionCreate(BaseModel):
    grid_id: uuid.UUID
    building_id: uuid.UUID
    floor: JsonInt | None = Field(default=None, ge=-10, le=300)
    enterprise_id: uuid.UUID | None = None
    template_id: uuid.UUID | None = None
    visited_on: IsoDate
    answers: dict[str, Any] = Field(default_factory=dict, description="Checklist item key → answer")
    findings: list[Finding] = Field(default_factory=list, max_length=50)
    notes: str | None = Field(default=None, max_length=2000)


class InspectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    grid_id: uuid.UUID
    building_id: uuid.UUID
    floor: int | None
    enterprise_id: uuid.UUID | None
    template_id: uuid.UUID | None
    worker_id: uuid.UUID | None
    inspector_subject: str
    visited_on: IsoDate
    answers: dict[str, Any]
    findings: list[Finding]
    notes: str | None
    hazard_ids: list[uuid.UUID] = []


class InspectionHistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str = Field(examples=["attachment_added"])
    actor: str
    note: str | None
    created_at: IsoDateTime


class InspectionDetail(InspectionRead):
    history: list[InspectionHistoryRead] = Field(default=[], description="What happened since the visit (its files)")


class StaleBuilding(BaseModel):
    building_id: uuid.UUID
    last_visited_on: IsoDate | None
    due_on: IsoDate | None = Field(description="Last visit + interval; null when never visited")


class StaleBuildings(BaseModel):
    grid_id: uuid.UUID
    as_of: IsoDate
    patrol_interval_days: int
    items: list[StaleBuilding]
