"""Bodies of the token endpoints and the session list."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.iso import IsoDateTime

# 256 random bits, base64url without padding: 43 characters.
RefreshTokenText = Field(min_length=43, max_length=43, pattern=r"^[A-Za-z0-9_-]{43}$")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = RefreshTokenText


class TokenPair(BaseModel):
    """An access token (ES256 JWT, 15 minutes) and the refresh token that replaces it (used once)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds the access token lives", examples=[900])
    refresh_token: str = Field(description="Opaque; send it to `POST /v1/auth/token` once")
    refresh_expires_in: int = Field(examples=[2592000])
    session_id: uuid.UUID


class SessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    method: str = Field(examples=["sms"])
    user_agent: str | None
    source_ip: str | None
    created_at: IsoDateTime
    last_used_at: IsoDateTime


class SessionList(BaseModel):
    items: list[SessionRead]
