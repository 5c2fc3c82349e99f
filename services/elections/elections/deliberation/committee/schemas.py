"""Bodies of `/v1/committees`."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from elections.deliberation.states import CommitteeStatus
from shared.iso import IsoDate, IsoDateTime, JsonInt


class CommitteeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"election_id": "3f0c5a7e-1d2b-4c8e-9f60-0a1b2c3d4e5f", "support_threshold": 20}]
        },
    )

    election_id: uuid.UUID = Field(description="A certified (or published) election of the community")
    term_starts_on: IsoDate | None = Field(None, description="Default: today (Asia/Shanghai)")
    support_threshold: JsonInt = Field(20, ge=1, le=100_000, description="Supports that put a proposal before it")
    agenda_days: JsonInt = Field(
        14, ge=1, le=90, description="A proposal past the threshold must be on an agenda within this many calendar days"
    )


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seat_no: int
    candidate_id: uuid.UUID
    name: str = Field(description="The elected candidate")
    enterprise_id: uuid.UUID = Field(description="The enterprise that sits (the candidate's nominator)")
    enterprise_name: str


class CommitteeOut(BaseModel):
    id: uuid.UUID
    community_id: uuid.UUID
    election_id: uuid.UUID
    title: str
    seats: int
    quorum: int = Field(description="Members present needed for a decision: more than half of the seats")
    support_threshold: int
    agenda_days: int
    term_starts_on: IsoDate
    term_ends_on: IsoDate
    status: CommitteeStatus
    ended_on: IsoDate | None
    members: list[MemberOut]
    version: int
    created_at: IsoDateTime


class CommitteeSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    election_id: uuid.UUID
    title: str
    seats: int
    term_starts_on: IsoDate
    term_ends_on: IsoDate
    status: CommitteeStatus
    created_at: IsoDateTime
