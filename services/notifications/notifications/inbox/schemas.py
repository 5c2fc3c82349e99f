"""Bodies of the inbox endpoints."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field


class NotificationRead(BaseModel):
    """One inbox item, in the language the caller asked for (`Accept-Language`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "0b8e3f2c-6a61-4d5e-9a43-2f1c7c2f9f10",
                "kind": "request.resolved",
                "title": "您的诉求已办结",
                "body": "「办公楼空调维修」已办结:已更换压缩机",
                "link": "/v1/service-requests/6f1c2b9e-2c1a-4e6b-8f3a-1c2d3e4f5a6b",
                "urgent": False,
                "created_at": "2026-12-03T09:30:00+08:00",
                "read_at": None,
            }
        }
    )

    id: uuid.UUID
    kind: str = Field(description="The rule that wrote it (`GET /v1/notifications/kinds`)")
    title: str
    body: str
    link: str | None = Field(description="The API path of what it is about")
    urgent: bool
    created_at: dt.datetime
    read_at: dt.datetime | None


class UnreadCount(BaseModel):
    unread: int = Field(examples=[3])


class MarkedRead(BaseModel):
    marked: int = Field(description="How many were unread and are now read", examples=[3])


class DeadLetter(BaseModel):
    """A WeChat or SMS message given up on; operators may queue it again."""

    id: uuid.UUID
    kind: str
    channel: str
    recipient: str = Field(description="The person's token subject (no phone or openid is kept here)")
    attempts: int
    last_error: str | None = Field(description="The last refusal's code (identity's, or the provider's)")
    created_at: dt.datetime
