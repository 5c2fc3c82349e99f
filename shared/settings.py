"""Settings base: one `BaseSettings` per service with its own env prefix, sharing these fields."""

from __future__ import annotations

import os
from typing import Literal, Self

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_INTERNAL_SECRET = "development-internal-secret-change-me-0123456789"

FALSE_WORDS = ("0", "false", "no", "off")

Environment = Literal["development", "test", "production"]


class PlatformSettings(BaseSettings):
    """Fields every process has; unset ones fall back to the platform-wide variables.

    `REGISTRY_DATABASE_URL` (say) wins over `DATABASE_URL`, so each service may get its own role.
    """

    model_config = SettingsConfigDict(extra="ignore")

    environment: Environment | None = None
    database_url: str = ""
    # LISTEN/NOTIFY needs a session of its own, which a transaction-mode pooler does not keep:
    # the dispatcher listens here (`DATABASE_DIRECT_URL`), everything else uses `database_url`.
    database_direct_url: str = ""
    # False behind a pooler without protocol-level prepared statements (PgBouncer < 1.21).
    db_prepared_statements: bool | None = None
    internal_token_secret: SecretStr = SecretStr("")
    internal_token_ttl_seconds: int = 60
    db_pool_size: int = 20
    db_max_overflow: int = 20
    hot_path_pool_size: int = 10  # raw asyncpg connections for the hot write path; 0 = none
    log_level: str = "INFO"
    log_json: bool = True
    idempotency_retention_hours: float = 24.0  # an Idempotency-Key replays for at least this long
    idempotency_purge_seconds: float = 3600.0  # how often older keys are deleted

    @model_validator(mode="after")
    def _fill_platform_defaults(self) -> Self:
        if self.environment is None:
            env = os.environ.get("PLATFORM_ENV", "development")
            if env not in ("development", "test", "production"):
                raise ValueError("PLATFORM_ENV must be development, test or production")
            self.environment = env  # type: ignore[assignment]
        if not self.database_url:
            self.database_url = os.environ.get("DATABASE_URL", "")
        if not self.database_direct_url:
            self.database_direct_url = os.environ.get("DATABASE_DIRECT_URL", "") or self.database_url
        if self.db_prepared_statements is None:
            self.db_prepared_statements = os.environ.get("DB_PREPARED_STATEMENTS", "true").lower() not in FALSE_WORDS
        if not self.internal_token_secret.get_secret_value():
            secret = os.environ.get("PLATFORM_INTERNAL_SECRET") or DEVELOPMENT_INTERNAL_SECRET
            self.internal_token_secret = SecretStr(secret)
        self.refuse_default_secrets()
        return self

    def refuse_default_secrets(self) -> None:
        """Outside development a default or short secret is a configuration error."""
        if self.environment == "production":
            secret = self.internal_token_secret.get_secret_value()
            if secret == DEVELOPMENT_INTERNAL_SECRET or len(secret) < 32:
                raise ValueError("PLATFORM_INTERNAL_SECRET must be set to a random value of 32+ characters")

    @property
    def async_database_url(self) -> str:
        """The SQLAlchemy asyncpg URL for `database_url`."""
        return _async_url(self.database_url)

    @property
    def async_database_direct_url(self) -> str:
        """The SQLAlchemy asyncpg URL for `database_direct_url` (the pooler's server, not the pooler)."""
        return _async_url(self.database_direct_url or self.database_url)


def _async_url(url: str) -> str:
    if not url:
        raise ValueError("DATABASE_URL is not set")
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")
