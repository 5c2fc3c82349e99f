"""Bodies of the grant, invitation, join-request and audit endpoints."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from identity.accounts.schemas import AccountRead
from identity.accounts.states import GrantableRole
from identity.grants.states import InvitationStatus, JoinRequestStatus
from shared.iso import IsoDateTime, JsonInt

REFRESH_HINT = (
    "Refresh your token (POST /v1/auth/token): the new role is in the next access token; "
    "the one you hold does not carry it."
)

# The scope field each role needs; every other scope field must be absent.
ROLE_SCOPE: dict[str, str | None] = {
    "platform_admin": None,
    "community_staff": "community_id",
    "grid_worker": "grid_id",
    "election_observer": "election_id",
    "employee": "enterprise_id",
    "enterprise_rep": "enterprise_id",
}
SCOPE_FIELDS = ("community_id", "grid_id", "enterprise_id", "election_id")


class GrantCreate(BaseModel):
    """A role and exactly the scope it needs: a community for staff, a grid for a grid worker, an
    enterprise for an employee or representative, an election for an observer, none for an admin."""

    model_config = ConfigDict(extra="forbid")

    role: GrantableRole
    community_id: uuid.UUID | None = None
    grid_id: uuid.UUID | None = None
    enterprise_id: uuid.UUID | None = None
    election_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _scope_matches_role(self) -> GrantCreate:
        needed = ROLE_SCOPE[self.role]
        for name in SCOPE_FIELDS:
            present = getattr(self, name) is not None
            if name == needed and not present:
                raise ValueError(f"{self.role} needs {name}")
            if name != needed and present:
                raise ValueError(f"{self.role} takes no {name}")
        return self

    def scope(self) -> dict[str, uuid.UUID]:
        return {name: value for name in SCOPE_FIELDS if (value := getattr(self, name)) is not None}


class AccountList(BaseModel):
    items: list[AccountRead]


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_hours: JsonInt = Field(default=72, ge=1, le=168, description="Hours the code stays valid (1-168)")


class InvitationRead(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    status: InvitationStatus
    created_at: IsoDateTime
    expires_at: IsoDateTime
    used_at: IsoDateTime | None
    cancelled_at: IsoDateTime | None


class InvitationCreated(InvitationRead):
    code: str = Field(
        description="The one-time code; shown only in this answer (the service keeps only its digest)",
        examples=["7KQ2M9XH4P"],
        repr=False,
    )


class InvitationList(BaseModel):
    items: list[InvitationRead]


class InvitationRedeem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=1, max_length=40, description="The code as given (case and spaces ignored)", repr=False
    )


class Redeemed(BaseModel):
    """The account with its new `employee` grant; the token in hand does not carry it yet."""

    account: AccountRead
    refresh_required: Literal[True] = True
    hint: str = REFRESH_HINT


class JoinRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: uuid.UUID


class JoinRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    enterprise_id: uuid.UUID
    status: JoinRequestStatus
    created_at: IsoDateTime
    decided_at: IsoDateTime | None


class JoinRequestList(BaseModel):
    items: list[JoinRequestRead]


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: IsoDateTime
    actor: str
    action: str = Field(examples=["role_granted"])
    account_id: uuid.UUID | None
    source_ip: str | None
    detail: dict[str, Any]
