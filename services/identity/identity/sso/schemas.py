"""Bodies of the single sign-on endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# 32 random bytes, base64url without padding: 43 characters.
STATE_PATTERN = r"^[A-Za-z0-9_-]{43}$"


class OidcStartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    redirect_uri: str = Field(
        min_length=1,
        max_length=2000,
        description="Where the provider sends the browser back: one of `IDENTITY_OIDC_REDIRECT_URIS`, exactly",
        examples=["https://staff.example.gov.cn/sso/callback"],
    )


class OidcStart(BaseModel):
    """Send the browser to `authorization_url`; keep `state` to check that the callback is yours."""

    authorization_url: str
    state: str = Field(description="Comes back on the redirect; compare it, then send it with the code", repr=False)
    expires_in: int = Field(description="Seconds within which the callback must arrive", examples=[600])


class OidcCallbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str = Field(min_length=43, max_length=43, pattern=STATE_PATTERN, repr=False)
    code: str = Field(
        min_length=1, max_length=2048, description="The provider's authorization code (used once)", repr=False
    )
