"""Bodies of the account endpoints."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from identity.accounts.states import AccountStatus, GrantableRole
from shared.iso import IsoDateTime


class GrantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: GrantableRole
    community_id: uuid.UUID | None
    grid_id: uuid.UUID | None
    enterprise_id: uuid.UUID | None
    election_id: uuid.UUID | None
    source: str = Field(examples=["invitation"])
    valid_until: IsoDateTime | None
    created_at: IsoDateTime


class AccountRead(BaseModel):
    id: uuid.UUID
    display_name: str | None
    phone_bound: bool = Field(description="Whether a verified phone is bound (the number itself is not returned)")
    status: AccountStatus
    version: int
    created_at: IsoDateTime
    grants: list[GrantRead]


class DeniedSubjects(BaseModel):
    """Accounts disabled while tokens issued to them may still be alive: the gateway refuses them."""

    subjects: list[str]
    window_seconds: int
