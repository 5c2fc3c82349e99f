"""Settings of the grid governance service (env prefix `GRID_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="GRID_", extra="ignore")
