"""Bodies of the WeChat subscription endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TemplateRead(BaseModel):
    name: str
    template_id: str = Field(description="Pass to `wx.requestSubscribeMessage({tmplIds})`")
    title: str
    kinds: list[str] = Field(description="The notifications sent with it")


class SubscriptionReport(BaseModel):
    """What `wx.requestSubscribeMessage` answered, as it answered it: template id -> the user's choice."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"results": {"tmpl-request-progress": "accept", "tmpl-activity-notice": "reject"}}
        },
    )

    results: dict[str, Literal["accept", "reject", "ban", "filter"]] = Field(min_length=1, max_length=20)


class Subscriptions(BaseModel):
    """The caller's open one-time subscriptions per template id (each allows one message)."""

    open: dict[str, int] = Field(examples=[{"tmpl-request-progress": 1}])
