"""Settings of the registry service (env prefix `REGISTRY_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")
