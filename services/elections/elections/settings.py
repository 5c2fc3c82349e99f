"""Settings of the elections service (env prefix `ELECTIONS_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="ELECTIONS_", extra="ignore")
