"""Settings of the service requests service (env prefix `REQUESTS_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="REQUESTS_", extra="ignore")

    job_interval_seconds: float = 60.0  # escalation and auto-close pass; 0 turns the job off
    hot_path_pool_size: int = 10  # raw asyncpg connections for submissions without Idempotency-Key; 0 = none
    webhooks_allow_private: bool = False  # loopback/private webhook URLs (tests, `make run` demos only)
    webhook_dispatcher_enabled: bool = True  # the lifespan delivery loop; off for API-only replicas
