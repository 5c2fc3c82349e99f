"""Bodies of `/v1/committees/{id}/actions`."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from elections.deliberation.states import ActionStatus
from shared.iso import IsoDate, IsoDateTime, JsonInt


class ActionUpdateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "已完成选址", "progress": 40, "status": "in_progress"}]},
    )

    note: str = Field(min_length=1, max_length=4000)
    progress: JsonInt = Field(ge=0, le=100, description="Percent done")
    status: ActionStatus = Field(description="`done` needs progress 100")


class ActionUpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    note: str
    progress: int
    status: ActionStatus
    created_at: IsoDateTime


class ActionOut(BaseModel):
    id: uuid.UUID
    committee_id: uuid.UUID
    community_id: uuid.UUID
    item_id: uuid.UUID = Field(description="The adopted decision (agenda item) it carries out")
    proposal_id: uuid.UUID | None
    title: str
    owner: str
    due_on: IsoDate
    status: ActionStatus
    progress: int
    done_at: IsoDateTime | None
    overdue: bool = Field(description="Past its due date and not done")
    escalated_at: IsoDateTime | None = Field(description="When the overdue action was escalated (once)")
    updates: list[ActionUpdateOut]
    version: int
    created_at: IsoDateTime
