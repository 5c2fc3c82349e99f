"""Request and response bodies of the elections API."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from elections.counting.rules import Rules
from elections.election.states import ElectionStatus, describe_transitions
from shared.field_messages import invalid
from shared.iso import IsoDate, IsoDateTime, JsonInt


class ElectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_id": "3f0c5a7e-1d2b-4c8e-9f60-0a1b2c3d4e5f",
                    "title": "星光产业社区第一届治理委员会选举",
                    "record_date": "2026-12-01",
                    "rules": {"seats": 7, "term_years": 3},
                }
            ]
        },
    )

    community_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200)
    record_date: IsoDate = Field(description="The roll is frozen as of this date (Asia/Shanghai)")
    rules: Rules = Field(default_factory=Rules)
    objection_window_hours: JsonInt = Field(72, ge=0, le=24 * 30, description="公示 window after publication")


class ElectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    title: str
    status: ElectionStatus
    suspended_from: ElectionStatus | None
    rules: dict[str, Any]
    record_date: IsoDate
    published_at: IsoDateTime | None
    roll_fingerprint: str | None
    roll_size: int | None
    current_round: int
    round_spec: dict[str, Any] | None
    result_hash: str | None
    rerun_of: uuid.UUID | None
    version: int
    created_at: IsoDateTime


class TransitionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"to": "nomination"}, {"to": "voided", "reason": "..."}]}
    )

    to: ElectionStatus = Field(description=describe_transitions())
    reason: str | None = Field(None, max_length=2000)


class CandidateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "王芳", "profile": "某科技公司行政总监", "kind": "single"}]},
    )

    name: str = Field(min_length=1, max_length=100)
    profile: str = Field("", max_length=4000)
    kind: Literal["single", "joint"] = Field(
        "single", description="`single`: nominated by your enterprise alone; `joint`: needs 5 enterprises"
    )


class CandidateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    election_id: uuid.UUID
    name: str
    profile: str
    kind: Literal["single", "joint"]
    status: Literal["nominated", "approved", "rejected"]
    review_reason: str | None
    ballot_number: int | None
    nominators: int = 0
    version: int


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=1, max_length=2000)


class ObjectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)


class ObjectionDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["upheld", "dismissed"]
    reason: str = Field(min_length=1, max_length=2000)


class ObjectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    election_id: uuid.UUID
    candidate_id: uuid.UUID
    reason: str
    status: Literal["open", "upheld", "dismissed"]
    decision_reason: str | None


class RollEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: uuid.UUID
    uscc: str
    name: str
    entitled: bool
    entitlement_note: str | None


class RollOut(BaseModel):
    election_id: uuid.UUID
    as_of: IsoDate
    fingerprint: str | None
    size: int
    items: list[RollEntryOut]


class RollAmendment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["add", "remove"]
    enterprise_id: uuid.UUID
    uscc: str | None = Field(None, min_length=18, max_length=18)
    name: str | None = Field(None, max_length=200)
    representative_subject: str | None = Field(None, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class BallotIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"choices": ["9b2e...", "77c1..."]}, {"choices": []}]}
    )

    choices: list[uuid.UUID] = Field(max_length=20, description="Approved candidates; empty is a valid blank ballot")

    @field_validator("choices")
    @classmethod
    def _distinct(cls, choices: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(choices)) != len(choices):
            raise invalid("candidate_repeated", "同一候选人只能选一次", "a candidate may be chosen once")
        return choices


class Receipt(BaseModel):
    election_id: uuid.UUID
    round_no: int
    tracker: str = Field(description="SHA-256 of the ballot and the nonce; look it up later")
    nonce: str = Field(description="Keep it secret: with it you can recompute the tracker from your choices")
    serial: int = Field(description="Cast order; only your last ballot of the round counts")
    cast_at: IsoDateTime
    replaced_previous: bool


class Turnout(BaseModel):
    election_id: uuid.UUID
    status: ElectionStatus
    round_no: int
    roll_size: int
    ballots_cast: int
    turnout_percent: float


class TrackerOut(BaseModel):
    tracker: str
    round_no: int
    state: Literal["received", "counted", "superseded"]
    log_seq: int | None = Field(None, description="The log entry recording this ballot, once logged")


class LotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: list[JsonInt | list[JsonInt]] = Field(
        min_length=1, max_length=5, description="One value (or list of numbers) per named source, in order"
    )


class CertificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result_hash: str = Field(min_length=64, max_length=64)


class CertificationOut(BaseModel):
    election_id: uuid.UUID
    approvals: int
    needed: int
    certified: bool
