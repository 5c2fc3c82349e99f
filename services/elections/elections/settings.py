"""Settings of the elections service (env prefix `ELECTIONS_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="ELECTIONS_", extra="ignore")

    registry_url: str = "http://127.0.0.1:8101"
    registry_feed_enabled: bool | None = None  # default: on, except in tests (they poll by hand)
    registry_feed_poll_seconds: float = 1.0
    jobs_enabled: bool | None = None  # the closing-soon reminders; default: on, except in tests
    job_interval_seconds: float = 60.0
    # proposals in a community without a committee in office (a committee sets its own when formed)
    proposal_support_threshold: int = 20
    proposal_agenda_days: int = 14

    @property
    def consume_registry_feed(self) -> bool:
        if self.registry_feed_enabled is None:
            return self.environment != "test"
        return self.registry_feed_enabled

    @property
    def run_jobs(self) -> bool:
        if self.jobs_enabled is None:
            return self.environment != "test"
        return self.jobs_enabled
