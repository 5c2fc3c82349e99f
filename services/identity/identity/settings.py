"""Settings of the identity service (env prefix `IDENTITY_`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import PlatformSettings

# The issuer and audience the gateway checks by default (gateway/settings.py DEV_ISSUER, AUDIENCE).
DEFAULT_ISSUER = "binjiang-platform-dev"
DEFAULT_AUDIENCE = "binjiang-platform"
DEVELOPMENT_KEY_SECRET = "development-identity-key-secret-change-me-0123456789"
# tools/fake_sms.py's defaults (the fakes are not imported here: production code never loads them)
FAKE_SMS_ACCESS_KEY_ID = "LTAIfakeaccesskeyid"
FAKE_SMS_ACCESS_KEY_SECRET = "fake-sms-access-key-secret"
FAKE_WECHAT_APPID = "wx00000000fakeapp"
FAKE_WECHAT_SECRET = "fake-wechat-app-secret"
# The local OIDC provider of `make run` (tools/fake_oidc.py: its port, client id and secret).
FAKE_OIDC_ISSUER = "http://127.0.0.1:8093"
FAKE_OIDC_CLIENT_ID = "platform-identity"
FAKE_OIDC_CLIENT_SECRET = "fake-oidc-client-secret"
DEVELOPMENT_OIDC_REDIRECT_URIS = (
    "http://127.0.0.1:8000/staff/sso/callback",
    "http://localhost:8000/staff/sso/callback",
)


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
    registry_feed_enabled: bool | None = None  # default: on, except in tests (they poll by hand)
    registry_feed_poll_seconds: float = 1.0
    # The gateway's rate-limit storage (shared.ratelimits): brute-force limits count there.
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("IDENTITY_REDIS_URL", "REDIS_URL"))
    # Per client address (the gateway's X-Forwarded-For), `limits` notation.
    abuse_limits: dict[str, str] = {
        "sms_send": "5/minute;30/hour",
        "sms_verify": "20/minute;100/hour",
        "wechat_login": "30/minute;300/hour",
    }

    # The mini-program's server API (https://api.weixin.qq.com; the development default is tools/fake_wechat.py).
    wechat_base_url: str = "http://127.0.0.1:8091"
    wechat_appid: str = FAKE_WECHAT_APPID
    wechat_secret: SecretStr = SecretStr(FAKE_WECHAT_SECRET)

    # SMS codes through Aliyun's SendSms (the development default is tools/fake_sms.py).
    sms_base_url: str = "http://127.0.0.1:8092"
    sms_access_key_id: str = FAKE_SMS_ACCESS_KEY_ID
    sms_access_key_secret: SecretStr = SecretStr(FAKE_SMS_ACCESS_KEY_SECRET)
    sms_sign_name: str = "滨江产业社区"
    sms_template_code: str = "SMS_465090001"
    sms_code_seconds: int = Field(300, ge=60, le=900)
    sms_resend_seconds: int = Field(60, ge=30, le=600)

    @property
    def consume_registry_feed(self) -> bool:
        if self.registry_feed_enabled is None:
            return self.environment != "test"
        return self.registry_feed_enabled

    # The grid service: a grid worker's grid and its community (`GET /internal/grids/{id}`).
    grid_url: str = "http://127.0.0.1:8104"
    grid_timeout_seconds: float = 5.0
    # Wrong invitation codes one account may try in a rolling hour before 429 TOO_MANY_ATTEMPTS.
    invitation_failures_per_hour: int = 10

    # Staff single sign-on (OpenID Connect code flow + PKCE). An empty issuer turns SSO off
    # (its routes answer 503 OIDC_UNAVAILABLE). The issuer is compared with the ID token's `iss`
    # exactly as written.
    oidc_issuer: str = FAKE_OIDC_ISSUER
    oidc_client_id: str = FAKE_OIDC_CLIENT_ID
    oidc_client_secret: SecretStr = SecretStr(FAKE_OIDC_CLIENT_SECRET)
    # Where the provider may send the browser back (the staff app's pages); comma-separated in the env.
    oidc_redirect_uris: Annotated[tuple[str, ...], NoDecode] = DEVELOPMENT_OIDC_REDIRECT_URIS
    oidc_login_seconds: int = 600  # a started sign-in must come back within this
    oidc_timeout_seconds: float = 10.0  # one call to the provider, connect to last byte

    # Platform administrators (password + TOTP): failures before a lock, and the lock's length.
    admin_max_failed_attempts: int = 5
    admin_lock_seconds: int = 900
    admin_totp_issuer: str = "滨江产业社区平台"  # the name an authenticator app shows

    @field_validator("oidc_redirect_uris", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    def refuse_default_secrets(self) -> None:
        """Production refuses the development key secret and a short one."""
        super().refuse_default_secrets()
        if self.environment == "production":
            secret = self.key_encryption_secret.get_secret_value()
            if secret == DEVELOPMENT_KEY_SECRET or len(secret) < 32:
                raise ValueError("IDENTITY_KEY_ENCRYPTION_SECRET must be set to a random value of 32+ characters")
            if self.sms_access_key_secret.get_secret_value() == FAKE_SMS_ACCESS_KEY_SECRET:
                raise ValueError("IDENTITY_SMS_ACCESS_KEY_SECRET is the fake SMS gateway's; set the provider's")
            if self.wechat_secret.get_secret_value() == FAKE_WECHAT_SECRET or self.wechat_appid == FAKE_WECHAT_APPID:
                raise ValueError(
                    "IDENTITY_WECHAT_APPID and IDENTITY_WECHAT_SECRET are the fake's; set the mini-program's"
                )
            self._refuse_fake_oidc()

    def _refuse_fake_oidc(self) -> None:
        if not self.oidc_issuer:
            return  # SSO off
        secret = self.oidc_client_secret.get_secret_value()
        if self.oidc_issuer.rstrip("/") == FAKE_OIDC_ISSUER or not self.oidc_issuer.startswith("https://"):
            raise ValueError("IDENTITY_OIDC_ISSUER must be the provider's https:// issuer (or empty: SSO off)")
        if secret == FAKE_OIDC_CLIENT_SECRET or len(secret) < 16:
            raise ValueError("IDENTITY_OIDC_CLIENT_SECRET must be the secret the provider registered for us")
        if (
            not self.oidc_redirect_uris
            or set(self.oidc_redirect_uris) & set(DEVELOPMENT_OIDC_REDIRECT_URIS)
            or any(uri.startswith("http://") for uri in self.oidc_redirect_uris)
        ):
            raise ValueError("IDENTITY_OIDC_REDIRECT_URIS must be the staff app's registered non-http:// URIs")
