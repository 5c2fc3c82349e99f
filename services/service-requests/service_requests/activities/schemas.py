"""Activity bodies and views."""

from __future__ import annotations

import uuid
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service_requests.catalogue.schemas import Scenario
from shared.field_messages import invalid
from shared.iso import IsoDateTime, JsonInt

EligibleRole = Literal["enterprise_rep", "employee"]
EnrollmentStatus = Literal["enrolled", "waitlisted", "cancelled"]


class ActivityCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_id": "6f1c2a8e-0000-4000-8000-000000000001",
                    "title": "直播电商技能培训",
                    "scenario": "personal_growth",
                    "starts_at": "2026-12-05T06:00:00Z",
                    "ends_at": "2026-12-05T08:00:00Z",
                    "place": "星光产业社区党群服务中心 3 楼",
                    "capacity": 40,
                    "eligible_roles": ["employee"],
                }
            ]
        },
    )
    community_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200)
    scenario: Scenario
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    place: str = Field(min_length=1, max_length=300)
    capacity: JsonInt = Field(ge=1, le=100_000)
    eligible_roles: list[EligibleRole] = Field(min_length=1, max_length=2)

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise invalid("ends_before_start", "结束时间须晚于开始时间", "ends_at must be after starts_at")
        return self


class ActivityRead(BaseModel):
    id: uuid.UUID
    community_id: uuid.UUID
    title: str
    scenario: Scenario
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    place: str
    capacity: int
    enrolled_count: int
    eligible_roles: list[EligibleRole]
    cancelled_at: IsoDateTime | None = Field(description="Set when staff cancelled the activity")
    version: int
    created_at: IsoDateTime


class EnrollmentRead(BaseModel):
    id: uuid.UUID
    activity_id: uuid.UUID
    subject: str
    enterprise_id: uuid.UUID | None
    status: EnrollmentStatus
    waitlist_position: int | None = Field(description="1 = next to be promoted; null unless waitlisted")
    created_at: IsoDateTime


class EnrollmentList(BaseModel):
    enrolled: list[EnrollmentRead]
    waitlisted: list[EnrollmentRead] = Field(description="In promotion order")


class MyEnrollment(EnrollmentRead):
    """One of my enrolments with what I need to know of its activity."""

    title: str
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    place: str
    activity_cancelled_at: IsoDateTime | None = Field(description="Set when staff called the activity off")
