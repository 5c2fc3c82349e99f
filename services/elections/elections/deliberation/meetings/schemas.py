"""Bodies of `/v1/meetings`."""

from __future__ import annotations

import uuid
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from elections.deliberation.states import Outcome, VoteChoice
from shared.field_messages import invalid
from shared.iso import IsoDate, IsoDateTime, JsonInt


class AgendaItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proposal_id: uuid.UUID | None = Field(None, description="A proposal of the community (open or past threshold)")
    title: str | None = Field(None, min_length=1, max_length=200, description="Default: the proposal's title")

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.proposal_id is None and self.title is None:
            raise invalid("item_empty", "议程事项需要议题或标题", "an item needs a proposal_id or a title")
        return self


class MeetingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "committee_id": "3f0c5a7e-1d2b-4c8e-9f60-0a1b2c3d4e5f",
                    "title": "第三次议事会",
                    "scheduled_at": "2026-12-18T06:30:00Z",
                    "location": "星光大厦 3 楼议事厅",
                    "agenda": [{"proposal_id": "9b2e5a7e-1d2b-4c8e-9f60-0a1b2c3d4e5f"}, {"title": "社区年度计划"}],
                }
            ]
        },
    )

    committee_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200)
    scheduled_at: IsoDateTime
    location: str = Field(min_length=1, max_length=200)
    agenda: list[AgendaItemIn] = Field(min_length=1, max_length=30)


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"seats": [1, 2, 3, 4]}]})

    seats: list[JsonInt] = Field(min_length=1, max_length=15, description="Seat numbers of the members present")


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"choice": "for"}]})

    choice: VoteChoice


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"outcome": "adopted", "reason": "多数委员赞成", "owner": "社区公共服务中心", "due_on": "2027-01-31"},
                {"outcome": "referred", "reason": "属交警职责", "department": "滨江交警大队"},
            ]
        },
    )

    outcome: Outcome
    reason: str = Field(min_length=1, max_length=4000)
    department: str | None = Field(None, min_length=1, max_length=200, description="With `referred`: to whom")
    owner: str | None = Field(None, min_length=1, max_length=200, description="With `adopted`: who carries it out")
    due_on: IsoDate | None = Field(None, description="With `adopted`: by when (Asia/Shanghai)")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.outcome == "referred" and self.department is None:
            raise invalid("department_missing", "转交需写明部门", "a referral names the department")
        if self.outcome == "adopted" and (self.owner is None or self.due_on is None):
            raise invalid(
                "action_missing", "通过的决定需写明责任人与期限", "an adopted decision needs owner and due_on"
            )
        return self


class MinutesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: str = Field(max_length=20_000)


class VoteOut(BaseModel):
    seat_no: int
    member: str
    enterprise_name: str
    choice: VoteChoice


class ItemOut(BaseModel):
    id: uuid.UUID
    position: int
    proposal_id: uuid.UUID | None
    title: str
    outcome: Outcome | None
    reason: str | None
    department: str | None
    decided_at: IsoDateTime | None
    votes: list[VoteOut] = Field(description="Named: a committee vote is not secret")
    action_id: uuid.UUID | None = Field(None, description="The tracked action of an adopted decision")


class MeetingOut(BaseModel):
    id: uuid.UUID
    committee_id: uuid.UUID
    community_id: uuid.UUID
    title: str
    scheduled_at: IsoDateTime
    location: str
    seats: int
    quorum: int
    present_seats: list[int]
    quorum_met: bool
    minutes: str
    minutes_approved_at: IsoDateTime | None
    items: list[ItemOut]
    version: int
    created_at: IsoDateTime


class MeetingSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    committee_id: uuid.UUID
    community_id: uuid.UUID
    title: str
    scheduled_at: IsoDateTime
    location: str
    minutes_approved_at: IsoDateTime | None
    created_at: IsoDateTime
