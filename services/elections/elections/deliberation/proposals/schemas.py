"""Bodies of `/v1/proposals`."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from elections.deliberation.states import ProposalCategory, ProposalStatus
from shared.iso import IsoDate, IsoDateTime


class ProposalCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_id": "3f0c5a7e-1d2b-4c8e-9f60-0a1b2c3d4e5f",
                    "title": "江陵路口增设非机动车停放区",
                    "body": "午间外卖车辆占用人行道,建议在江陵路口划定停放区。",
                    "category": "traffic",
                    "scope": "江陵路—江虹路路口",
                }
            ]
        },
    )

    community_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=8000)
    category: ProposalCategory
    building_id: uuid.UUID | None = Field(None, description="The building it concerns, if one")
    scope: str | None = Field(None, max_length=200, description="The place or group it concerns, in words")


class ProposalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    committee_id: uuid.UUID | None
    title: str
    body: str
    category: ProposalCategory
    building_id: uuid.UUID | None
    scope: str | None
    status: ProposalStatus
    support_count: int
    support_threshold: int
    threshold_reached_at: IsoDateTime | None
    agenda_due_on: IsoDate | None = Field(
        description="Past the threshold: the last day (calendar days) to put it on a meeting's agenda"
    )
    merged_into: uuid.UUID | None
    answer: str | None
    answered_at: IsoDateTime | None
    version: int
    created_at: IsoDateTime


class SupportOut(BaseModel):
    proposal_id: uuid.UUID
    supporter_kind: str = Field(description="`enterprise` (a representative's) or `person` (an employee's)")
    support_count: int
    status: ProposalStatus


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: uuid.UUID = Field(description="The proposal this one duplicates; its supports move there (once each)")


class AnswerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"answer": "已转交城管部门", "close": True}]}
    )

    answer: str = Field(min_length=1, max_length=4000)
    close: StrictBool = Field(False, description="Close the proposal as answered (it goes on no agenda)")
