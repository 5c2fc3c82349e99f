"""Settings of the identity service (env prefix `IDENTITY_`)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PlatformSettings

# The issuer and audience the gateway checks by default (gateway/settings.py DEV_ISSUER, AUDIENCE).
DEFAULT_ISSUER = "binjiang-platform-dev"
DEFAULT_AUDIENCE = "binjiang-platform"
DEVELOPMENT_KEY_SECRET = "development-identity-key-secret-change-me-0123456789"


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    # Encrypts the private signing keys kept in the identity schema (AES-256-GCM, key from HKDF).
    key_encryption_secret: SecretStr = SecretStr(DEVELOPMENT_KEY_SECRET)
    access_token_seconds: int = 900
    refresh_token_days: int = 30
    # A retired key stays in the key set this long after it stopped signing (its last token's
    # lifetime plus the gateway's leeway).
    key_leeway_seconds: int = 60
    registry_url: str = "http://127.0.0.1:8101"
    # The grid service: a grid worker's grid and its community (`GET /internal/grids/{id}`).
    grid_url: str = "http://127.0.0.1:8104"
    grid_timeout_seconds: float = 5.0
    # Wrong invitation codes one account may try in a rolling hour before 429 TOO_MANY_ATTEMPTS.
    invitation_failures_per_hour: int = 10

    def refuse_default_secrets(self) -> None:
        """Production refuses the development key secret and a short one."""
        super().refuse_default_secrets()
        if self.environment == "production":
            secret = self.key_encryption_secret.get_secret_value()
            if secret == DEVELOPMENT_KEY_SECRET or len(secret) < 32:
                raise ValueError("IDENTITY_KEY_ENCRYPTION_SECRET must be set to a random value of 32+ characters")
