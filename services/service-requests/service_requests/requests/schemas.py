"""Request bodies and views."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service_requests.requests.workflow import Action, Status


class Location(BaseModel):
    building_id: uuid.UUID | None = None
    floor: int | None = Field(default=None, ge=-10, le=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500)


class Attachment(BaseModel):
    ref: str = Field(min_length=1, max_length=500, description="Reference returned by the file store")
    name: str | None = Field(default=None, max_length=200)
    content_type: str | None = Field(default=None, max_length=100)


class RequestCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type_id": "0d7c8f7e-1b1f-4c55-9d7a-2a9b0b7f1c11",
                    "description": "希望了解科技型中小企业贷款贴息政策",
                    "answers": {"amount": 300},
                    "location": {"building_id": "5a4e0c1e-7f4b-4c8e-9a52-1f0b8e0f7a21", "floor": 12},
                }
            ]
        },
    )
    type_id: uuid.UUID
    description: str = Field(min_length=1, max_length=4000)
    answers: dict[str, Any] = Field(default_factory=dict)
    location: Location | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    partner_id: uuid.UUID | None = Field(
        default=None, description="For a bank/MCN service type: which of its partners should handle the request"
    )
    share_consent: bool = Field(
        default=False,
        description="The requester agrees to share the request with the chosen partner; required with `partner_id`",
    )


class DuplicateHint(BaseModel):
    id: uuid.UUID
    description: str
    status: Status
    created_at: dt.datetime
    similarity: float


class RequestRead(BaseModel):
    id: uuid.UUID
    type_id: uuid.UUID
    type_version: int
    type_code: str
    type_name_zh: str
    type_name_en: str
    category: str
    scenario: str
    community_id: uuid.UUID
    enterprise_id: uuid.UUID | None
    requester_subject: str
    status: Status
    description: str
    answers: dict[str, Any]
    location: Location | None
    attachments: list[Attachment]
    handler_kind: str
    routed_partner_id: uuid.UUID | None
    assignee_subject: str | None
    acknowledge_due_at: dt.datetime
    resolve_due_at: dt.datetime
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    overdue: bool
    escalation_level: int = Field(description="0 none, 1 past the deadline, 2 past 3x the deadline")
    reopen_count: int
    rating: int | None
    rating_comment: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    allowed_actions: list[Action] = Field(description="What the caller may do next")


class RequestCreated(RequestRead):
    possible_duplicates: list[DuplicateHint] = Field(
        description="Same type, same enterprise, last 30 days, similar text: ask the user whether it is the same"
    )


class TransitionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"action": "accept"}, {"action": "resolve", "reason": "已办结"}]},
    )
    action: Action
    reason: str | None = Field(default=None, max_length=2000)
    assignee_subject: str | None = Field(default=None, max_length=200, description="For `assign`")


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000)
    internal: bool = Field(default=False, description="Internal notes are visible to staff and handlers only")


class RatingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"score": 5, "comment": "很及时"}]})
    score: int = Field(ge=1, le=5, description="5 非常满意 very satisfied … 1 非常不满意 very dissatisfied")
    comment: str | None = Field(default=None, max_length=2000)


class TimelineEntry(BaseModel):
    id: uuid.UUID
    kind: Literal["transition", "comment", "escalation", "rating"]
    actor_subject: str
    actor_role: str
    action: str | None
    from_status: str | None
    to_status: str | None
    body: str | None
    internal: bool
    data: dict[str, Any]
    created_at: dt.datetime


class Timeline(BaseModel):
    items: list[TimelineEntry]


class CountBy(BaseModel):
    key: str
    count: int


class RequestStats(BaseModel):
    community_id: uuid.UUID
    from_date: dt.date = Field(serialization_alias="from")
    to_date: dt.date = Field(serialization_alias="to")
    total: int
    by_status: list[CountBy]
    by_category: list[CountBy]
    acknowledged_on_time_rate: float | None
    resolved_on_time_rate: float | None
    median_resolve_hours: float | None
    satisfaction_rate: float | None = Field(description="Share of ratings 4 or 5")
    average_rating: float | None
