"""Settings of the notifications service (env prefix `NOTIFICATIONS_`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    # the feeds this service reads (`GET /internal/events` of each)
    registry_url: str = "http://127.0.0.1:8101"
    service_requests_url: str = "http://127.0.0.1:8102"
    elections_url: str = "http://127.0.0.1:8103"
    grid_url: str = "http://127.0.0.1:8104"
    # recipients (accounts and grants) and the WeChat / SMS sends go through the identity service
    identity_url: str = "http://127.0.0.1:8105"
    identity_timeout_seconds: float = 10.0

    # where a feed with no stored cursor starts: its end (a new deployment notifies from now on) or its start
    feed_start: Literal["latest", "earliest"] = "latest"
    # the feeds to read (comma-separated; default: every feed a rule names)
    feeds: Annotated[tuple[str, ...], NoDecode] = ()
    # background work; tests switch it off and drive each step by hand
    workers_enabled: bool | None = None  # default: on, except in tests
    feed_poll_seconds: float = Field(0.25, gt=0)
    dispatch_poll_seconds: float = Field(0.1, gt=0)
    send_poll_seconds: float = Field(0.5, gt=0)
    # fan-out loops per replica: while one writes a page of a big fan-out, another serves new events
    fanout_workers: int = Field(2, ge=1, le=16)
    # recipients per fan-out page: one identity call and one INSERT per page
    fanout_page_size: int = Field(5000, ge=1, le=5000)
    # provider quotas: messages per second per channel, across this replica
    wechat_per_second: float = Field(20.0, gt=0)
    sms_per_second: float = Field(10.0, gt=0)
    # retries: 5 s, 10 s, 20 s ... capped; dead after `max_attempts` (the default outlasts two hours down)
    retry_base_seconds: float = Field(5.0, gt=0)
    retry_max_seconds: float = Field(300.0, gt=0)
    max_attempts: int = Field(30, ge=1, le=100)
    # a claimed message not settled by then (a crash mid-send) is tried again
    send_lease_seconds: float = Field(60.0, gt=0)
    # quiet hours (Asia/Shanghai): non-urgent WeChat and SMS wait until the end
    quiet_start_hour: int = Field(22, ge=0, le=23)
    quiet_end_hour: int = Field(8, ge=0, le=23)
    # the mini-program's template ids, by template name (rules.WECHAT_TEMPLATES), when they differ
    wechat_template_ids: dict[str, str] = {}

    @field_validator("feeds", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def run_workers(self) -> bool:
        if self.workers_enabled is None:
            return self.environment != "test"
        return self.workers_enabled
