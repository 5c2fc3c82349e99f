"""Settings of the grid governance service (env prefix `GRID_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.attachments import AttachmentSettings


class Settings(AttachmentSettings):
    model_config = SettingsConfigDict(env_prefix="GRID_", extra="ignore")

    registry_url: str = "http://127.0.0.1:8101"
    registry_timeout_seconds: float = 10.0
    # pull the registry's event feed in the background (tests drive it by hand)
    registry_feed_enabled: bool = True
    registry_feed_poll_seconds: float = 2.0
    # the periodic jobs (grid/jobs.py): supervision levels, overdue hazards, missing campaign check-ins,
    # expired uploads
    supervision_sweep_enabled: bool = True
    supervision_sweep_seconds: float = 60.0
    # files (shared/attachments.py has the rest: GRID_STORAGE_BACKEND=s3, GRID_S3_BUCKET, ...)
    storage_local_root: str = ".data/files/grid"
