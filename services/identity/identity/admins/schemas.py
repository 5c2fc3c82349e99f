"""Bodies of the platform administrators' sign-in, and what creating one answers (to the CLI)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class AdminLoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, examples=["ops-admin"])
    password: str = Field(min_length=1, max_length=1024, repr=False)
    totp: str = Field(pattern=r"^[0-9]{6}$", description="The authenticator app's current 6-digit code", repr=False)


class AdminCreated(BaseModel):
    account_id: uuid.UUID
    username: str
    # Holds the TOTP secret: shown once, to the person who set the admin up, never stored elsewhere.
    totp_provisioning_uri: str = Field(repr=False)
