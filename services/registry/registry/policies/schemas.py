"""Policy bodies: the publication, its eligibility rules (validated here), matches and answers."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from registry.buildings.states import BUILDING_KINDS
from registry.enterprises.schemas import INDUSTRY_CODE, SECTION
from registry.policies.states import LIST_FIELDS, Answer, ListField, RuleField
from shared.field_messages import invalid
from shared.iso import IsoDate, IsoDateTime, JsonInt

RULE_DOC = (
    "One rule over registry facts. `community`, `industry_section`, `industry_code` (a code prefix: "
    "2-digit division, 3-digit group or 4-digit class), `building_kind`: `any_of`. `headcount`, "
    "`years_since_founding`, `graduates`, `high_level_talents`: `min` and/or `max`, inclusive."
)


def _value_ok(field: ListField, value: str) -> bool:
    if field is ListField.community:
        try:
            uuid.UUID(value)
        except ValueError:
            return False
        return True
    if field is ListField.industry_section:
        return re.fullmatch(SECTION, value) is not None
    if field is ListField.industry_code:
        return re.fullmatch(INDUSTRY_CODE, value) is not None
    return value in BUILDING_KINDS


class EligibilityRule(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"description": RULE_DOC})

    field: RuleField = Field(description="The registry fact the rule tests")
    any_of: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, min_length=1, max_length=50, description="For membership facts: one of these values"
    )
    min: JsonInt | None = Field(None, ge=0, le=10_000_000, description="For figures: at least (inclusive)")
    max: JsonInt | None = Field(None, ge=0, le=10_000_000, description="For figures: at most (inclusive)")

    @model_validator(mode="after")
    def _a_rule_that_can_hold(self) -> Self:
        if self.field.value in LIST_FIELDS:
            if self.any_of is None or self.min is not None or self.max is not None:
                raise invalid("rule_needs_any_of", "该规则只用 any_of", "this field takes any_of only")
            if not all(_value_ok(ListField(self.field), value) for value in self.any_of):
                raise invalid("rule_value_invalid", "any_of 中有无效取值", "any_of holds a value this field never has")
            return self
        if self.any_of is not None:
            raise invalid("rule_needs_range", "该规则只用 min 和 max", "this field takes min and max only")
        if self.min is None and self.max is None:
            raise invalid("range_unbounded", "范围规则至少需要 min 或 max", "a range rule needs min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise invalid("range_impossible", "min 不得大于 max", "min must not be greater than max")
        return self

    @model_serializer(mode="wrap")
    def _only_what_was_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if value is not None}


class PolicyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_id": "6f1c2a8e-0000-4000-8000-000000000001",
                    "title": "滨江区高新技术企业培育补助",
                    "issuer": "滨江区科技局",
                    "summary": "对首次认定的高新技术企业给予一次性补助。",
                    "link": "https://www.hhtz.gov.cn/",
                    "valid_from": "2026-01-01",
                    "valid_to": "2026-12-31",
                    "rules": [
                        {"field": "industry_section", "any_of": ["I", "M"]},
                        {"field": "headcount", "min": 10, "max": 500},
                        {"field": "years_since_founding", "max": 5},
                    ],
                }
            ]
        },
    )

    community_id: uuid.UUID | None = Field(
        None, description="The community whose enterprises it is for; absent: district-wide (platform admins)"
    )
    title: str = Field(min_length=1, max_length=200)
    issuer: str = Field(min_length=1, max_length=200, description="Issuing body")
    summary: str = Field(min_length=1, max_length=4000)
    link: str | None = Field(None, max_length=500, pattern=r"^https?://[^\s]+$")
    valid_from: IsoDate
    valid_to: IsoDate | None = Field(None, description="Last day of validity (inclusive); absent: open")
    rules: list[EligibilityRule] = Field(
        max_length=20, description="Every rule must hold (AND); none: every enterprise"
    )

    @model_validator(mode="after")
    def _valid_dates(self) -> Self:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise invalid("ends_before_start", "valid_to 不得早于 valid_from", "valid_to is before valid_from")
        return self


class PolicyOut(BaseModel):
    id: uuid.UUID
    community_id: uuid.UUID | None
    title: str
    issuer: str
    summary: str
    link: str | None
    valid_from: IsoDate
    valid_to: IsoDate | None
    rules: list[EligibilityRule]
    matched_on: IsoDate = Field(description="The business date whose registry facts were matched")
    matched: int = Field(description="Enterprises offered the policy")
    version: int
    created_at: IsoDateTime


class Reason(BaseModel):
    """Why one rule held: the rule's index in `rules`, its field and the enterprise's fact."""

    rule: int
    field: str
    value: Any = Field(description="The enterprise's fact: a letter, a code, a list of ids or kinds, or a number")


class MatchOut(BaseModel):
    enterprise_id: uuid.UUID
    uscc: str
    name: str
    reasons: list[Reason]
    answer: Answer | None = Field(description="The representative's answer; null while unanswered")
    answered_at: IsoDateTime | None
    matched_at: IsoDateTime


class TakeUp(BaseModel):
    policy_id: uuid.UUID
    matched: int
    applied: int
    not_relevant: int
    unanswered: int
    take_up_rate: float | None = Field(description="applied / matched; null when nothing matched")


class OfferOut(BaseModel):
    """One policy in an enterprise's "policies for you"."""

    policy: PolicyOut
    reasons: list[Reason]
    answer: Answer | None
    answered_at: IsoDateTime | None
    matched_at: IsoDateTime


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Answer = Field(examples=["applied"])


class AnswerOut(BaseModel):
    policy_id: uuid.UUID
    enterprise_id: uuid.UUID
    answer: Answer
    answered_at: IsoDateTime


class MatchingOut(BaseModel):
    policy_id: uuid.UUID
    newly_offered: int = Field(description="Enterprises that match today and had not been offered it")
    matched: int = Field(description="Enterprises offered the policy, in all")
    matched_on: IsoDate
