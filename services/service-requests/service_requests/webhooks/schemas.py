"""Webhook endpoint, message and attempt views; the secret appears only in `WebhookEndpointCreated`."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from shared.iso import IsoDateTime

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
    disabled_at: IsoDateTime | None
    disabled_reason: str | None
    failing_since: IsoDateTime | None
    previous_secret_expires_at: IsoDateTime | None
    version: int
    created_at: IsoDateTime


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(description="`whsec_...` signing secret; shown only in this answer")


class WebhookAttemptRead(BaseModel):
    attempted_at: IsoDateTime
    status_code: int | None
    duration_ms: int
    response_excerpt: str | None
    error: str | None


class WebhookMessageRead(BaseModel):
    id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: IsoDateTime
    last_status_code: int | None
    created_at: IsoDateTime
    delivered_at: IsoDateTime | None
    attempt_log: list[WebhookAttemptRead]
