"""The published key set (RFC 7517) and the answer of a rotation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PublicJwk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kty: str = Field(examples=["EC"])
    crv: str = Field(examples=["P-256"])
    x: str
    y: str
    kid: str
    alg: str = Field(examples=["ES256"])
    use: str = Field(examples=["sig"])


class Jwks(BaseModel):
    keys: list[PublicJwk]


class Rotation(BaseModel):
    """The key that signs from now on, and the one retired (verifying until its tokens expire)."""

    signing_kid: str
    retired_kid: str | None
