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
    voting_closes_at: IsoDateTime | None = Field(description="The announced close of the open round")
    version: int
    created_at: IsoDateTime


class TransitionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"to": "nomination"},
                {"to": "voting_open", "closes_at": "2026-12-10T09:00:00Z"},
                {"to": "voided", "reason": "..."},
            ]
        },
    )

    to: ElectionStatus = Field(description=describe_transitions())
    reason: str | None = Field(None, max_length=2000)
    closes_at: IsoDateTime | None = Field(
        None,
        description="Only with `voting_open` or `runoff_open`: the announced close, in the future; 24 hours"
        " before it the representatives whose enterprise has not voted are reminded (staff still close the round)",
    )


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


class ElectionResult(BaseModel):
    """`GET /v1/elections/{id}/result`: the tally (`result`, its own documented format) and the names."""

    election_id: uuid.UUID
    status: ElectionStatus
    result_hash: str | None
    candidates: dict[str, str] = Field(description="Candidate id to name")
    result: dict[str, Any]


class RecordCandidate(BaseModel):
    candidate_id: uuid.UUID
    name: str
    status: str
    ballot_number: int | None


class RecordRollItem(BaseModel):
    enterprise_id: uuid.UUID
    uscc: str
    name: str


class RecordRoll(BaseModel):
    as_of: IsoDate
    fingerprint: str | None
    size: int | None
    items: list[RecordRollItem]


class RecordLogEntry(BaseModel):
    seq: int
    type: str
    at: str
    payload: dict[str, Any]
    prev: str
    hash: str


class RecordBallot(BaseModel):
    round_no: int
    tracker: str
    choices: list[Any]
    counted: bool


class PublicRecord(BaseModel):
    """The whole public record `python -m elections.verify` checks (format `binjiang-election-record/1`)."""

    format: Literal["binjiang-election-record/1"] = "binjiang-election-record/1"
    election: dict[str, Any]
    candidates: list[RecordCandidate]
    roll: RecordRoll
    log: list[RecordLogEntry]
    ballots: list[RecordBallot]
    result: dict[str, Any] | None
    result_hash: str | None


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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "result_hash": "5370209573c7fac723f2e1c62b2c8d1ea49e44f88286797f5fc0cee106365e14",
                    "public_key": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                    "signature": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
                }
            ]
        },
    )

    result_hash: str = Field(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")
    public_key: str = Field(pattern="^[0-9a-f]{64}$", description="The observer's Ed25519 public key, hex")
    signature: str = Field(
        pattern="^[0-9a-f]{128}$",
        description="Ed25519 signature (hex) of the approval statement (`python -m elections.approve`)",
    )


class CertificationOut(BaseModel):
    election_id: uuid.UUID
    approvals: int
    needed: int
    certified: bool
