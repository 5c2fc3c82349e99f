"""Bodies of grid events and their transitions."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from grid.events.transitions import EventAction, EventStatus, HandlerType, SupervisionLevel
from shared.iso import IsoDateTime, JsonInt

SourceChannel = Literal["patrol", "hotline", "app", "enterprise", "other"]

__all__ = ["EventAction", "EventStatus", "HandlerType", "SourceChannel", "SupervisionLevel"]


class EventCreate(BaseModel):
    community_id: uuid.UUID
    grid_id: uuid.UUID | None = None
    source_channel: SourceChannel = "patrol"
    category: str = Field(min_length=1, max_length=50, examples=["fire_safety"])
    title: str = Field(min_length=1, max_length=200, examples=["地下车库消防栓漏水"])
    description: str | None = Field(default=None, max_length=4000)
    building_id: uuid.UUID | None = None
    floor: JsonInt | None = Field(default=None, ge=-10, le=300)


class Handler(BaseModel):
    type: HandlerType
    worker_id: uuid.UUID | None = Field(default=None, description="Required when type is grid_worker")
    name: str | None = Field(default=None, max_length=200, description="Department, property manager or station")


class Evaluation(BaseModel):
    rating: JsonInt = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class EventTransition(BaseModel):
    action: EventAction
    note: str | None = Field(default=None, max_length=2000)
    handler: Handler | None = Field(default=None, description="For `dispatch`")
    deadline: IsoDateTime | None = Field(default=None, description="For `dispatch`")
    requested_deadline: IsoDateTime | None = Field(default=None, description="For `request_extension`")
    approve: StrictBool | None = Field(default=None, description="For `decide_extension`")
    evaluation: Evaluation | None = Field(default=None, description="For `close`")


class EventHistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_status: EventStatus
    to_status: EventStatus
    actor: str
    actor_role: str
    note: str | None
    data: dict[str, Any]
    created_at: IsoDateTime


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    grid_id: uuid.UUID | None
    source_channel: SourceChannel
    category: str
    title: str
    description: str | None
    building_id: uuid.UUID | None
    floor: int | None
    enterprise_id: uuid.UUID | None = Field(default=None, description="The enterprise concerned (a resident's report)")
    reporter_subject: str
    status: EventStatus
    handler_type: HandlerType | None
    handler_worker_id: uuid.UUID | None
    handler_name: str | None
    dispatched_at: IsoDateTime | None
    deadline: IsoDateTime | None
    overdue: bool = False
    supervision_level: SupervisionLevel
    escalated: bool
    extension_requested_until: IsoDateTime | None
    evaluation_rating: int | None
    evaluation_comment: str | None
    closed_at: IsoDateTime | None
    version: int
    created_at: IsoDateTime


class EventDetail(EventRead):
    history: list[EventHistoryRead] = []


class SweepResult(BaseModel):
    raised: int = Field(description="Events whose supervision level went up")
