"""Request bodies and views."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, model_validator

from service_requests.requests.workflow import Action, Status
from shared.field_messages import invalid
from shared.iso import IsoDate, IsoDateTime, JsonInt

PROVISIONAL = (
    "A deadline reaches a year the working-day calendar does not cover yet: it was counted Monday-Friday"
    " and is recomputed (with a `deadline` timeline entry) when that year's holidays are loaded"
)


class Location(BaseModel):
    building_id: uuid.UUID | None = None
    floor: JsonInt | None = Field(default=None, ge=-10, le=300)
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
    share_consent: StrictBool = Field(
        default=False,
        description=(
            "The requester agrees to share the request's shareable fields with the partner; required for every "
            "service type handled by a partner (bank or mcn), whether or not `partner_id` is given"
        ),
    )


class DuplicateHint(BaseModel):
    id: uuid.UUID
    description: str
    status: Status
    created_at: IsoDateTime
    similarity: float


FINANCING_EXAMPLES: list[JsonValue] = [
    {
        "kind": "financing",
        "decision": "approved",
        "amount_cny": "500000.00",
        "annual_rate_percent": "3.45",
        "term_months": 12,
    },
    {"kind": "financing", "decision": "refused", "refusal_reason": "企业近一年流水不足"},
]
MCN_EXAMPLE: dict[str, JsonValue] = {
    "kind": "mcn_campaign",
    "campaign_name": "双十二直播专场",
    "campaign_date": "2026-12-05",
    "channel": "抖音",
}
_APPROVED_FIELDS = ("amount_cny", "annual_rate_percent", "term_months")


class FinancingOutcome(BaseModel):
    """A bank's decision: approved with amount, rate and term, or refused with a reason."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": FINANCING_EXAMPLES})
    kind: Literal["financing"]
    decision: Literal["approved", "refused"]
    amount_cny: Decimal | None = Field(
        default=None, gt=0, max_digits=15, decimal_places=2, description="Approved amount in CNY, a decimal string"
    )
    annual_rate_percent: Decimal | None = Field(
        default=None, gt=0, lt=100, decimal_places=4, description="Annual interest rate in percent, a decimal string"
    )
    term_months: JsonInt | None = Field(default=None, ge=1, le=360)
    refusal_reason: str | None = Field(default=None, min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _fields_match_the_decision(self) -> Self:
        approved = self.decision == "approved"
        missing = [name for name in _APPROVED_FIELDS if getattr(self, name) is None] if approved else []
        if missing:
            raise invalid(
                "approval_incomplete", f"批准须填写 {'、'.join(missing)}", f"an approval needs {', '.join(missing)}"
            )
        if approved and self.refusal_reason is not None:
            raise invalid(
                "approval_with_refusal_reason", "批准不应填写 refusal_reason", "an approval has no refusal_reason"
            )
        if not approved and self.refusal_reason is None:
            raise invalid("refusal_reason_missing", "拒绝须填写 refusal_reason", "a refusal needs refusal_reason")
        if not approved and any(getattr(self, name) is not None for name in _APPROVED_FIELDS):
            raise invalid(
                "refusal_with_terms",
                "拒绝不应填写 amount_cny、annual_rate_percent 或 term_months",
                "a refusal has no amount_cny, annual_rate_percent or term_months",
            )
        if self.amount_cny is not None:
            self.amount_cny = self.amount_cny.quantize(Decimal("0.01"))  # always two decimals out
        return self


class McnCampaignOutcome(BaseModel):
    """An MCN agency's campaign for the enterprise and its date (Shanghai)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [MCN_EXAMPLE]})
    kind: Literal["mcn_campaign"]
    campaign_name: str = Field(min_length=1, max_length=200)
    campaign_date: IsoDate
    channel: str | None = Field(default=None, min_length=1, max_length=100, description="e.g. 抖音, 视频号")


Outcome = Annotated[FinancingOutcome | McnCampaignOutcome, Field(discriminator="kind")]


class RequestHead(BaseModel):
    """The fields every view of a request starts with: which request, of which type, whose."""

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


class RequestRead(RequestHead):
    model_config = ConfigDict(extra="forbid")
    requester_subject: str
    status: Status
    description: str
    answers: dict[str, Any]
    location: Location | None
    attachments: list[Attachment]
    handler_kind: str
    routed_partner_id: uuid.UUID | None
    assignee_subject: str | None
    acknowledge_due_at: IsoDateTime
    resolve_due_at: IsoDateTime
    acknowledged_at: IsoDateTime | None
    resolved_at: IsoDateTime | None
    closed_at: IsoDateTime | None
    overdue: bool
    provisional: bool = Field(description=PROVISIONAL)
    escalation_level: int = Field(description="0 none, 1 past the deadline, 2 past 3x the deadline")
    reopen_count: int
    rating: int | None
    rating_comment: str | None
    return_visit_due_at: dt.datetime | None = Field(description="After a bad rating: the return visit is due by then")
    return_visited_at: dt.datetime | None
    follow_up_rating: int | None = Field(description="The one rating after rectification (好差评)")
    outcome: Outcome | None = Field(description="The structured outcome of the last resolution, if any")
    share_consent_at: IsoDateTime | None = Field(description="When the requester consented to share with a partner")
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime
    allowed_actions: list[Action] = Field(description="What the caller may do next")


class PartnerRequestRead(RequestHead):
    """What a partner sees of a request routed to it: its workflow fields and the shareable part only.

    `answers` holds only the attributes the type version marks `shareable`; `description` is null
    unless that version's handler has `share_description`. Never the requester, location,
    attachments, assignee or rating.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "3f0e4a52-8d55-4bb0-9a57-5b1a3c7d2e10",
                    "type_id": "0d7c8f7e-1b1f-4c55-9d7a-2a9b0b7f1c11",
                    "type_version": 1,
                    "type_code": "bank-financing",
                    "type_name_zh": "融资对接",
                    "type_name_en": "Financing",
                    "category": "enterprise",
                    "scenario": "enterprise_service",
                    "community_id": "6f1c2a8e-0000-4000-8000-000000000001",
                    "enterprise_id": "9b2d7c1e-5a4f-4e3b-8c2d-1f0e9d8c7b6a",
                    "status": "resolved",
                    "description": None,
                    "answers": {"amount": 50},
                    "acknowledge_due_at": "2026-11-27T05:00:00Z",
                    "resolve_due_at": "2026-12-03T09:00:00Z",
                    "acknowledged_at": "2026-11-26T08:00:00Z",
                    "resolved_at": "2026-11-30T03:00:00Z",
                    "closed_at": None,
                    "overdue": False,
                    "provisional": False,
                    "outcome": FINANCING_EXAMPLES[0],
                    "version": 4,
                    "created_at": "2026-11-26T07:00:00Z",
                    "updated_at": "2026-11-30T03:00:00Z",
                    "allowed_actions": [],
                    "routed_partner_id": "c1d2e3f4-0000-4000-8000-00000000b001",
                }
            ]
        },
    )
    status: Status
    description: str | None = Field(description="Null unless the type version shares the description")
    answers: dict[str, Any] = Field(description="Only the answers to attributes marked `shareable`")
    acknowledge_due_at: IsoDateTime
    resolve_due_at: IsoDateTime
    acknowledged_at: IsoDateTime | None
    resolved_at: IsoDateTime | None
    closed_at: IsoDateTime | None
    overdue: bool
    provisional: bool = Field(description=PROVISIONAL)
    outcome: Outcome | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime
    allowed_actions: list[Action] = Field(description="What the partner may do next")
    routed_partner_id: uuid.UUID | None


class RequestCreated(RequestRead):
    model_config = ConfigDict(extra="forbid")
    possible_duplicates: list[DuplicateHint] = Field(
        description=(
            "Same type, same enterprise, last 30 days, similar text (pg_trgm similarity >= 0.3): the most"
            " recent such requests, at most 5, most similar first; ask the user whether it is the same"
        )
    )


class TransitionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "accept"},
                {"action": "resolve", "reason": "已办结"},
                {"action": "resolve", "reason": "已审批放款", "outcome": FINANCING_EXAMPLES[0]},
                {"action": "resolve", "reason": "未通过审批", "outcome": FINANCING_EXAMPLES[1]},
                {"action": "resolve", "reason": "已安排直播", "outcome": MCN_EXAMPLE},
                {"action": "route", "partner_id": "c1d2e3f4-0000-4000-8000-00000000b002"},
            ]
        },
    )
    action: Action
    reason: str | None = Field(default=None, max_length=2000)
    assignee_subject: str | None = Field(default=None, max_length=200, description="For `assign`")
    partner_id: uuid.UUID | None = Field(
        default=None, description="For `route`: one of the partners of the type version the request was filed under"
    )
    outcome: Outcome | None = Field(
        default=None,
        description=(
            "Only with `resolve`: required when the routed partner resolves (bank: `financing`, mcn: "
            "`mcn_campaign`), optional for staff"
        ),
    )


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000)
    internal: StrictBool = Field(default=False, description="Internal notes are visible to staff and handlers only")


class RatingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"score": 5, "comment": "很及时"}]})
    score: JsonInt = Field(ge=1, le=5, description="5 非常满意 very satisfied … 1 非常不满意 very dissatisfied")
    comment: str | None = Field(default=None, max_length=2000)


class ReturnVisitCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"notes": "电话回访，申请人说明了不满意的原因"}]}
    )
    notes: str = Field(min_length=1, max_length=2000, description="What the requester said")


class TimelineEntry(BaseModel):
    id: uuid.UUID
    kind: Literal["transition", "comment", "escalation", "rating", "deadline", "return_visit", "attachment"]
    actor_subject: str | None = Field(description="Null in a partner's view for everyone but the partner itself")
    actor_role: str
    action: str | None
    from_status: str | None
    to_status: str | None
    body: str | None
    internal: bool
    data: dict[str, Any]
    created_at: IsoDateTime


class Timeline(BaseModel):
    items: list[TimelineEntry]


class CountBy(BaseModel):
    key: str
    count: int


class SatisfactionByType(BaseModel):
    service_type_id: uuid.UUID
    rated: int
    good_rating_rate: float | None
    average_rating: float | None


class RequestStats(BaseModel):
    community_id: uuid.UUID
    from_date: dt.date = Field(serialization_alias="from")
    to_date: IsoDate = Field(serialization_alias="to")
    total: int
    by_status: list[CountBy]
    by_category: list[CountBy]
    acknowledged_on_time_rate: float | None
    resolved_on_time_rate: float | None
    median_resolve_hours: float | None
    average_resolve_hours: float | None = Field(
        description="Mean hours from submission to resolution, of those resolved"
    )
    overdue: int = Field(description="Requests of the range open for their handler past a deadline now")
    satisfaction_rate: float | None = Field(description="Share of ratings 4 or 5")
    average_rating: float | None
    rating_grades: list[CountBy] = Field(description="Ratings per grade, 5 非常满意 … 1 非常不满意")
    good_rating_rate: float | None = Field(
        description="好评率: share of first ratings that are 3, 4 or 5 (基本满意 and better; 国办发〔2019〕51号)"
    )
    bad_ratings: int = Field(description="First ratings of 1 or 2 (差评), each owed a return visit and a rectification")
    return_visits_on_time_rate: float | None = Field(description="Bad ratings visited within their working day")
    follow_up_ratings: int
    follow_up_good_rate: float | None = Field(description="Share of follow-up ratings that are 3 or better")
    by_service_type: list[SatisfactionByType]


@dataclass(frozen=True, slots=True)
class ListFilters:
    """The list's filters; dates are Shanghai business dates, `created_to` inclusive."""

    status: Status | None = None
    category: str | None = None
    scenario: str | None = None
    type_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None
    overdue: bool | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    # the staff work list (issue 18): a fragment of the description, the enterprise, the handler
    q: str | None = None
    enterprise_id: uuid.UUID | None = None
    handler: str | None = None
    sort: RequestSort = "-created_at"


RequestSort = Literal["-created_at", "created_at", "resolve_due_at", "-resolve_due_at"]
"""`-created_at` newest first (the default); `resolve_due_at` the nearest resolve deadline first."""
