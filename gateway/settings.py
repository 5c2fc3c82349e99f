"""Settings of the gateway (env prefix `GATEWAY_`); `REDIS_URL` is read unprefixed as well."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from shared.settings import PlatformSettings

DEFAULT_UPSTREAMS = {
    "registry": "http://127.0.0.1:8101",
    "service-requests": "http://127.0.0.1:8102",
    "elections": "http://127.0.0.1:8103",
    "grid": "http://127.0.0.1:8104",
    "identity": "http://127.0.0.1:8105",
    "notifications": "http://127.0.0.1:8106",
}
DEV_ISSUER = "binjiang-platform-dev"
AUDIENCE = "binjiang-platform"


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    # `{"registry": "http://registry:8000", ...}`; a value may name several replicas, comma-separated
    # (`"http://10.0.0.5:8101,http://10.0.0.6:8101"`), used in turn with a breaker each
    upstreams: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_UPSTREAMS))

    jwt_public_key_file: Path | None = None
    # The identity service's key set (`http://<identity>/internal/jwks.json`); with the key file too,
    # a token without a `kid` (the development CLI's) is checked with the file's key.
    jwks_url: str | None = None
    jwks_cache_seconds: float = 300.0
    jwks_min_refresh_seconds: float = 5.0  # at most one refetch this often for kids the set lacks
    # `http://<identity>/internal/denied-subjects`: disabled accounts, refused within ~2 s
    deny_list_url: str | None = None
    deny_list_seconds: float = 2.0
    jwt_issuer: str = DEV_ISSUER
    jwt_audience: str = AUDIENCE
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["ES256", "RS256"])
    jwt_leeway_seconds: int = 10

    api_key_cache_seconds: float = 5.0
    nonce_purge_seconds: float = 60.0  # how often nonces of signed requests older than 5 minutes are forgotten

    upstream_connect_timeout_seconds: float = 2.0
    upstream_timeout_seconds: float = 30.0
    upstream_retries: int = 1
    breaker_failure_threshold: int = 5
    breaker_open_seconds: float = 5.0

    rate_limit: str = "100/second;3000/minute"
    partner_rate_limit: str = "20/second;600/minute"
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("GATEWAY_REDIS_URL", "REDIS_URL"))

    cors_origins: list[str] = Field(default_factory=list)
    cors_allow_credentials: bool = False
    max_body_bytes: int = 1024 * 1024
    # the local store's signed upload paths (routing.SIGNED_FILE_PREFIXES): a 10 MiB file and its form
    signed_upload_max_body_bytes: int = 10 * 1024 * 1024 + 64 * 1024
    openapi_retry_seconds: float = 5.0

    def refuse_default_secrets(self) -> None:
        """Also refuse a production gateway that could verify no user token."""
        super().refuse_default_secrets()
        if self.environment == "production" and self.jwt_public_key_file is None and not self.jwks_url:
            raise ValueError("set GATEWAY_JWT_PUBLIC_KEY_FILE or GATEWAY_JWKS_URL in production")

    def upstream_urls(self) -> dict[str, list[str]]:
        """Each service's replica URLs, in the order listed."""
        return {name: [url.strip() for url in urls.split(",") if url.strip()] for name, urls in self.upstreams.items()}

    @property
    def development(self) -> bool:
        return self.environment in ("development", "test")
