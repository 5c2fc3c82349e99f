"""Webhook endpoint, message and attempt views; the secret appears only in `WebhookEndpointCreated`."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

EVENT_TYPES = ("RequestRouted", "RequestTransitioned", "RequestCommented")


class WebhookEndpointCreate(BaseModel):
    url: str = Field(max_length=2000, description="https URL that receives Standard Webhooks deliveries")
    event_types: list[str] = Field(
        default_factory=list, max_length=20, description="Event types wanted; empty means all"
    )
    description: str | None = Field(default=None, max_length=500)


class WebhookEndpointRead(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    disabled_at: dt.datetime | None
    disabled_reason: str | None
    failing_since: dt.datetime | None
    previous_secret_expires_at: dt.datetime | None
    version: int
    created_at: dt.datetime


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(description="`whsec_...` signing secret; shown only in this answer")


class WebhookAttemptRead(BaseModel):
    attempted_at: dt.datetime
    status_code: int | None
    duration_ms: int
    response_excerpt: str | None
    error: str | None


class WebhookMessageRead(BaseModel):
    id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_status_code: int | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    attempt_log: list[WebhookAttemptRead]
