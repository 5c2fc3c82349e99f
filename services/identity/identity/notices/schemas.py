"""Bodies of the notifications service's internal routes (docs/identity.md, "For the notifications service")."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# One source for the limits: the schemas, the service and the docs read these.
MAX_SUBJECTS = 5000
MAX_SCOPE_IDS = 1000
MAX_PAGE = 5000
DEFAULT_PAGE = 1000
SUBJECT_MAX_LENGTH = 200
WECHAT_DATA_KEY = r"^[a-z_]+[0-9]+$"
WECHAT_MAX_KEYS = 20
WECHAT_VALUE_MAX_LENGTH = 200
SMS_TEMPLATE_CODE = r"^SMS_[0-9]{3,20}$"
SMS_MAX_PARAMS = 10
SMS_PARAM_KEY_MAX_LENGTH = 30
SMS_VALUE_MAX_LENGTH = 35  # Aliyun's limit on one template variable

Subject = Annotated[str, StringConstraints(min_length=1, max_length=SUBJECT_MAX_LENGTH)]
ScopeIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_SCOPE_IDS)]


class _Selector(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubjectsSelector(_Selector):
    """These subjects, those of them that are active accounts."""

    kind: Literal["subjects"]
    subjects: list[Subject] = Field(min_length=1, max_length=MAX_SUBJECTS)


class EnterpriseRepsSelector(_Selector):
    """The representatives of these enterprises."""

    kind: Literal["enterprise_reps"]
    enterprise_ids: ScopeIds


class CommunityRepsSelector(_Selector):
    """The representatives of every enterprise with a site in these communities."""

    kind: Literal["community_reps"]
    community_ids: ScopeIds


class CommunityStaffSelector(_Selector):
    """The staff of these communities."""

    kind: Literal["community_staff"]
    community_ids: ScopeIds


class EmployeesSelector(_Selector):
    """The employees of these enterprises."""

    kind: Literal["employees"]
    enterprise_ids: ScopeIds


class CommunityEmployeesSelector(_Selector):
    """The employees of every enterprise with a site in these communities."""

    kind: Literal["community_employees"]
    community_ids: ScopeIds


class GridWorkersSelector(_Selector):
    """The grid workers of these grids."""

    kind: Literal["grid_workers"]
    grid_ids: ScopeIds


Selector = Annotated[
    SubjectsSelector
    | EnterpriseRepsSelector
    | CommunityRepsSelector
    | CommunityStaffSelector
    | EmployeesSelector
    | CommunityEmployeesSelector
    | GridWorkersSelector,
    Field(discriminator="kind"),
]


class RecipientQuery(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "selector": {"kind": "employees", "enterprise_ids": ["4f0c8a52-9d1e-4b7a-8f43-2b6a1c9e7d10"]},
                    "after": None,
                    "limit": 1000,
                }
            ]
        },
    )

    selector: Selector
    after: uuid.UUID | None = Field(default=None, description="The last `subject` of the previous page")
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)


class Recipient(BaseModel):
    subject: str = Field(description="The account's token `sub`", examples=["0b9c1f3e-6a47-4d2b-9f8e-5c3a2d1e0f4b"])
    wechat: bool = Field(description="Has a WeChat identity in the platform's mini-program")
    sms: bool = Field(description="Has a verified phone")


class RecipientPage(BaseModel):
    items: list[Recipient]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last page")


WeChatDataKey = Annotated[str, StringConstraints(pattern=WECHAT_DATA_KEY, max_length=64)]
WeChatDataValue = Annotated[str, StringConstraints(max_length=WECHAT_VALUE_MAX_LENGTH)]


class WeChatNotice(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "0b9c1f3e-6a47-4d2b-9f8e-5c3a2d1e0f4b",
                    "template_id": "bDmywsp2oEHjwAadTGKkUHpzYqyRZIdXyNGQ3b1xGjQ",
                    "page": "pages/requests/detail?id=42",
                    "data": {"thing1": "停车位申请", "time2": "2026年12月1日 15:01"},
                }
            ]
        },
    )

    subject: Subject
    template_id: str = Field(min_length=1, max_length=64)
    page: str | None = Field(default=None, max_length=256, description="The mini-program page the message opens")
    data: dict[WeChatDataKey, WeChatDataValue] = Field(min_length=1, max_length=WECHAT_MAX_KEYS)


SmsParamKey = Annotated[str, StringConstraints(min_length=1, max_length=SMS_PARAM_KEY_MAX_LENGTH)]
SmsParamValue = Annotated[str, StringConstraints(max_length=SMS_VALUE_MAX_LENGTH)]


class SmsNotice(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "0b9c1f3e-6a47-4d2b-9f8e-5c3a2d1e0f4b",
                    "template_code": "SMS_465090123",
                    "params": {"name": "停车位申请", "status": "已受理"},
                }
            ]
        },
    )

    subject: Subject
    template_code: str = Field(pattern=SMS_TEMPLATE_CODE)
    params: dict[SmsParamKey, SmsParamValue] = Field(default_factory=dict, max_length=SMS_MAX_PARAMS)
