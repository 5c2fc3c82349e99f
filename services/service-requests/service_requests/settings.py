"""Settings of the service requests service (env prefix `REQUESTS_`)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from service_requests.webhooks.delivery import RETRY_SCHEDULE
from shared.attachments import AttachmentSettings


class Settings(AttachmentSettings):
    model_config = SettingsConfigDict(env_prefix="REQUESTS_", extra="ignore")

    job_interval_seconds: float = 60.0  # escalation and auto-close pass; 0 turns the job off
    webhooks_allow_private: bool = False  # loopback/private webhook URLs (tests, `make run` demos only)
    webhook_dispatcher_enabled: bool = True  # the lifespan delivery loop; off for API-only replicas
    # Seconds before attempt n+1 after attempt n failed (attempt 1 is immediate); comma-separated in the env.
    webhook_retry_schedule: Annotated[tuple[float, ...], NoDecode] = RETRY_SCHEDULE
    webhook_lease_seconds: float = 60.0  # a message a dead dispatcher leased is retried after this
    webhook_poll_seconds: float = 0.5  # idle wait when nothing is due
    webhook_timeout_seconds: float = 15.0  # one delivery attempt, connect to last byte
    webhook_worker_metrics_port: int | None = None  # the standalone worker's /metrics on 127.0.0.1
    # files (shared/attachments.py has the rest: REQUESTS_STORAGE_BACKEND=s3, REQUESTS_S3_BUCKET, ...)
    storage_local_root: str = ".data/files/requests"
    registry_url: str = "http://127.0.0.1:8101"
    registry_feed_enabled: bool = True  # communities registered with `starter_catalogue` get it
    registry_feed_poll_seconds: float = 2.0

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(float(part) for part in value.split(",") if part.strip())
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _non_negative(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(seconds < 0 for seconds in value):
            raise ValueError("retry delays must be zero or more seconds")
        return value

    @model_validator(mode="after")
    def _private_webhooks_only_in_development(self) -> Self:
        # a webhook URL of a partner must never reach the platform's own network in a deployment
        if self.webhooks_allow_private and self.environment == "production":
            raise ValueError("REQUESTS_WEBHOOKS_ALLOW_PRIVATE=true is refused when PLATFORM_ENV=production")
        return self
