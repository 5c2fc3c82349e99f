"""Service type bodies: the form (typed attributes), the handler and the deadline policy."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from service_requests.working_calendar import DeadlineUnit
from shared.field_messages import invalid
from shared.iso import IsoDateTime, JsonInt


class Category(StrEnum):
    city = "city"
    enterprise = "enterprise"
    employee = "employee"


class Scenario(StrEnum):
    party_building = "party_building"  # 星领秀
    enterprise_service = "enterprise_service"  # 星悦企
    life_service = "life_service"  # 星安居
    leisure = "leisure"  # 星娱乐
    personal_growth = "personal_growth"  # 星育才
    team_building = "team_building"  # 星力量


class HandlerKind(StrEnum):
    community_staff = "community_staff"
    bank = "bank"
    mcn = "mcn"


class Datatype(StrEnum):
    string = "string"
    number = "number"
    date = "date"
    text = "text"
    single_choice = "single_choice"
    multi_choice = "multi_choice"


RequesterRole = Literal["enterprise_rep", "employee"]


class Choice(BaseModel):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    label_zh: str = Field(min_length=1, max_length=200)
    label_en: str = Field(min_length=1, max_length=200)


class FormAttribute(BaseModel):
    """One typed question of a service's form (an Open311 attribute)."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str = Field(min_length=1, max_length=200)
    label_en: str = Field(min_length=1, max_length=200)
    datatype: Datatype
    required: StrictBool = False
    order: JsonInt = Field(ge=0)
    choices: list[Choice] = Field(default_factory=list, max_length=100)
    shareable: StrictBool = Field(
        default=False, description="The partner a request is routed to sees this answer (never otherwise)"
    )

    @model_validator(mode="after")
    def _choices_match_type(self) -> Self:
        is_choice = self.datatype in (Datatype.single_choice, Datatype.multi_choice)
        if is_choice and not self.choices:
            raise invalid("choices_missing", "选择类字段至少需要一个选项", "choice attributes need at least one choice")
        if not is_choice and self.choices:
            raise invalid("choices_not_allowed", "只有选择类字段可以有选项", "only choice attributes have choices")
        if len({choice.key for choice in self.choices}) != len(self.choices):
            raise invalid("choice_keys_repeated", "选项的键不得重复", "choice keys must be unique")
        return self


class Handler(BaseModel):
    kind: HandlerKind = HandlerKind.community_staff
    partner_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20, description="Partners routed to")
    share_description: StrictBool = Field(
        default=False, description="The partner a request is routed to sees its free-text description"
    )

    @model_validator(mode="after")
    def _partners_for_partner_kinds(self) -> Self:
        if self.kind is HandlerKind.community_staff and self.partner_ids:
            raise invalid(
                "partners_not_allowed",
                "社区工作人员办理的事项不派给合作方",
                "community_staff handlers are not routed to partners",
            )
        if self.kind is not HandlerKind.community_staff and not self.partner_ids:
            raise invalid(
                "partners_missing",
                "银行和 MCN 办理的事项至少需要一个合作方",
                "bank and mcn handlers need at least one partner",
            )
        return self


class Clock(BaseModel):
    amount: JsonInt = Field(ge=1, le=2000)
    unit: DeadlineUnit


class DeadlinePolicy(BaseModel):
    acknowledge: Clock
    resolve: Clock


class ServiceTypeFields(BaseModel):
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    description_zh: str = Field(default="", max_length=4000)
    description_en: str = Field(default="", max_length=4000)
    category: Category
    scenario: Scenario
    requester_roles: list[RequesterRole] = Field(min_length=1, max_length=2)
    form: list[FormAttribute] = Field(default_factory=list, max_length=50)
    handler: Handler = Field(default_factory=Handler)
    deadlines: DeadlinePolicy
    active: StrictBool = True

    @model_validator(mode="after")
    def _unique_codes(self) -> Self:
        if len({attribute.code for attribute in self.form}) != len(self.form):
            raise invalid("attribute_codes_repeated", "表单字段代码不得重复", "form attribute codes must be unique")
        return self


class ServiceTypeCreate(ServiceTypeFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "community_id": "6f1c2a8e-0000-4000-8000-000000000001",
                    "code": "financing-consult",
                    "name_zh": "融资咨询",
                    "name_en": "Financing consultation",
                    "category": "enterprise",
                    "scenario": "enterprise_service",
                    "requester_roles": ["enterprise_rep"],
                    "form": [
                        {
                            "code": "amount",
                            "label_zh": "金额(万元)",
                            "label_en": "Amount (10k CNY)",
                            "datatype": "number",
                            "required": True,
                            "order": 1,
                        }
                    ],
                    "handler": {"kind": "community_staff"},
                    "deadlines": {
                        "acknowledge": {"amount": 4, "unit": "working_hours"},
                        "resolve": {"amount": 5, "unit": "working_days"},
                    },
                }
            ]
        }
    )
    community_id: uuid.UUID
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9\-]*$")


class ServiceTypeUpdate(ServiceTypeFields):
    """A full replacement (PUT); bumps the version, requests already filed keep theirs."""


class BrandName(BaseModel):
    """A scenario's brand in one community, e.g. 星悦企."""

    model_config = ConfigDict(extra="forbid")

    zh: str = Field(min_length=1, max_length=20, examples=["星悦企"])
    en: str = Field(min_length=1, max_length=60, examples=["Xing Yueqi (enterprise services)"])


class BrandsIn(BaseModel):
    """The community's names for all six scenarios (PUT replaces the set)."""

    model_config = ConfigDict(extra="forbid")

    party_building: BrandName
    enterprise_service: BrandName
    life_service: BrandName
    leisure: BrandName
    personal_growth: BrandName
    team_building: BrandName


class BrandsOut(BrandsIn):
    model_config = ConfigDict(extra="ignore")

    community_id: uuid.UUID
    customised: bool = Field(description="false: the platform's default names (the community set none)")
    version: int = Field(description="0 while the defaults apply; PUT without If-Match then sets them")


class StarterCatalogueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community_id: uuid.UUID
    bank_partner_id: uuid.UUID | None = Field(None, description="Bank financing is routed to it; absent: to staff")
    mcn_partner_id: uuid.UUID | None = Field(None, description="Livestream marketing is routed to it; absent: to staff")


class StarterCatalogueOut(BaseModel):
    community_id: uuid.UUID
    created: list[str] = Field(description="Codes of the types created by this call")
    kept: list[str] = Field(description="Codes the community already had (kept as staff edited them)")


class ServiceTypeRead(ServiceTypeFields):
    id: uuid.UUID
    brand: BrandName = Field(description="The community's brand for the type's scenario")
    community_id: uuid.UUID
    code: str
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class Transition(BaseModel):
    action: str
    from_statuses: list[str] = Field(serialization_alias="from")
    to: str
    roles: list[str] = Field(description="Who may take the action (handler = staff of the community or routed partner)")
    needs_reason: bool


class Workflow(BaseModel):
    service_type_id: uuid.UUID
    statuses: list[str]
    initial: str
    terminal: list[str]
    pauses_clock: list[str]
    transitions: list[Transition]
