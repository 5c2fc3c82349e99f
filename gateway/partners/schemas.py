"""Request and response bodies of the partners API."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from shared.iso import IsoDateTime

PartnerKind = Literal["bank", "mcn"]


class PartnerCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "bank", "name": "杭州银行滨江支行", "contact": "ops@bank.example"}]},
    )

    kind: PartnerKind = Field(description="`bank` (financing) or `mcn` (livestream marketing agency)")
    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=1, max_length=500, description="Who to call about this integration")


class ApiKeyOut(BaseModel):
    key_id: str
    prefix: str = Field(description="The non-secret start of the key, `bjp_<key_id>_`")
    created_at: IsoDateTime
    revoked_at: IsoDateTime | None = None


class ApiKeyCreated(ApiKeyOut):
    api_key: str = Field(description="The whole key; shown once, store it now: only its hash is kept")


class SigningKeyPut(BaseModel):
    """The partner's RFC 9421 verification key; with `required`, every request must be signed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "key_id": "hzbank-2026-11",
                    "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA...\n-----END PUBLIC KEY-----\n",
                    "required": True,
                }
            ]
        },
    )

    key_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:\-]+$",
        description="The `keyid` the partner puts in `Signature-Input`; unique across partners",
    )
    public_key_pem: str = Field(
        min_length=1, max_length=2000, description="Ed25519 public key, SubjectPublicKeyInfo PEM"
    )
    required: StrictBool = Field(default=True, description="Refuse this partner's unsigned requests (401)")


class SigningKeyOut(BaseModel):
    key_id: str
    required: bool


class PartnerOut(BaseModel):
    id: uuid.UUID
    kind: PartnerKind
    name: str
    contact: str
    created_at: IsoDateTime
    active_keys: list[ApiKeyOut] = Field(default_factory=list)
    signing_key: SigningKeyOut | None = Field(
        default=None, description="The RFC 9421 signing key, when configured (the public key itself is not echoed)"
    )
