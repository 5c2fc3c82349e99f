"""`/v1/accounts`: the caller's account, and platform admins disabling or enabling one; the deny list."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from identity.accounts import service
from identity.accounts.schemas import AccountRead, DeniedSubjects
from identity.caller import CallerDep
from identity.roles import ACCOUNT_ROLES, ADMIN
from shared.auth import CurrentIdentity, Role, allow
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
internal_router = APIRouter(prefix="/internal", tags=["internal"])


@router.get(
    "/me", summary="My account and its grants", dependencies=[allow(*ACCOUNT_ROLES)], responses=problem_responses(404)
)
async def my_account(uow: UnitOfWorkDep, identity: CurrentIdentity) -> AccountRead:
    """The account behind the caller's token, with every live role grant."""
    return await service.my_account(uow, identity)


@router.get("/{account_id}", summary="An account", dependencies=[allow(*ADMIN)], responses=problem_responses(404))
async def get_account(account_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> AccountRead:
    """Any account, with its live grants (platform admins)."""
    return await service.get_account(uow, identity, account_id)


@router.post(
    "/{account_id}/disable",
    summary="Disable an account",
    dependencies=[allow(*ADMIN)],
    responses=problem_responses(404),
)
async def disable_account(
    account_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> AccountRead:
    """Every session ends now; the gateway refuses the account's live access tokens within 5 seconds."""
    return await service.set_status(uow, identity, account_id, "disabled", caller)


@router.post(
    "/{account_id}/enable", summary="Enable an account", dependencies=[allow(*ADMIN)], responses=problem_responses(404)
)
async def enable_account(
    account_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> AccountRead:
    """The account may sign in again (its old sessions stay ended)."""
    return await service.set_status(uow, identity, account_id, "active", caller)


@internal_router.get(
    "/denied-subjects", summary="Accounts whose live tokens the gateway refuses", dependencies=[allow(Role.service)]
)
async def denied_subjects(uow: UnitOfWorkDep) -> DeniedSubjects:
    """Disabled within an access token's lifetime; the gateway polls this every ~2 seconds."""
    return await service.denied_subjects(uow)
