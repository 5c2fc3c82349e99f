"""Bodies and views of the residents' side of the grid."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from shared.iso import IsoDate, JsonInt


class BuildingReport(BaseModel):
    """A grid event reported by a resident from a building of their enterprise."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "building_id": "6f1c2a8e-0000-4000-8000-000000000002",
                    "floor": 12,
                    "category": "public_facility",
                    "title": "12 楼电梯厅照明损坏",
                    "description": "东侧电梯厅灯不亮，已两天",
                }
            ]
        },
    )

    building_id: uuid.UUID
    floor: JsonInt | None = Field(default=None, ge=-10, le=300, description="Picks the grid of that floor range")
    category: str = Field(min_length=1, max_length=50, examples=["public_facility"])
    title: str = Field(min_length=1, max_length=200, examples=["12 楼电梯厅照明损坏"])
    description: str | None = Field(default=None, max_length=4000)


class HazardReply(BaseModel):
    """The enterprise's answer to a rectification request (整改回复)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "已清理消防通道杂物并张贴警示", "rectified": True}]},
    )

    note: str = Field(min_length=1, max_length=2000, description="What was done, or what will be done by when")
    rectified: StrictBool = Field(
        description="true: the enterprise reports it rectified (rectifying → rectified, staff still verify); "
        "false: an interim answer, the hazard stays rectifying"
    )


class GridWorkerContact(BaseModel):
    name: str
    phone_masked: str = Field(description="The middle digits hidden, e.g. 138****0000", examples=["138****0000"])
    duty_hours: str | None = Field(examples=["工作日 9:00-17:30"])


class BuildingGrid(BaseModel):
    grid_id: uuid.UUID
    code: str
    name: str
    floor_from: int | None = Field(description="null: from the lowest floor")
    floor_to: int | None = Field(description="null: to the top floor")
    primary_worker: GridWorkerContact | None = Field(description="null while no primary worker is on duty")


class BuildingGridWorkers(BaseModel):
    """ "My grid worker": the grids a building belongs to today and their primary workers."""

    building_id: uuid.UUID
    as_of: IsoDate
    grids: list[BuildingGrid] = Field(description="One per assignment in force (floor ranges may split a building)")
