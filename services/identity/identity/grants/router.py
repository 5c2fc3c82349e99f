"""Grants by the API, invitation codes, join requests and the audit read.

`/v1/enterprises` belongs to the registry at the gateway, so the representative's routes live
under the identity service's own `/v1/accounts/enterprises/{enterprise_id}/...`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from identity.accounts.phones import PhoneNumber
from identity.accounts.schemas import GrantRead
from identity.caller import CallerDep
from identity.grants import service
from identity.grants.schemas import (
    AccountList,
    AuditRead,
    GrantCreate,
    InvitationCreate,
    InvitationCreated,
    InvitationList,
    InvitationRedeem,
    JoinRequestCreate,
    JoinRequestList,
    JoinRequestRead,
    Redeemed,
)
from identity.grants.states import JoinRequestStatus
from identity.roles import ACCOUNT_ROLES, ADMIN, PEOPLE, REPRESENTATIVE
from shared.auth import CurrentIdentity, allow
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/accounts", tags=["grants"])
redeem_router = APIRouter(prefix="/v1/auth", tags=["grants"])
audit_router = APIRouter(prefix="/v1/audit", tags=["audit"])
ENTERPRISE = "/enterprises/{enterprise_id}"


@router.get("", summary="Find an account by phone", dependencies=[allow(*ADMIN)], responses=problem_responses(422))
async def find_account(
    uow: UnitOfWorkDep, identity: CurrentIdentity, phone: Annotated[PhoneNumber, Query()]
) -> AccountList:
    """The account whose verified phone is this number (any accepted form), or none."""
    return await service.find_by_phone(uow, identity, phone)


@router.post(
    "/{account_id}/grants",
    status_code=201,
    summary="Grant a role",
    dependencies=[allow(*PEOPLE)],
    responses=problem_responses(403, 404, 409, 422, 503),
)
async def grant_role(
    account_id: uuid.UUID, body: GrantCreate, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> GrantRead:
    """Platform admins grant any role; community staff grid workers of their own communities' grids.
    Anyone else: 403 GRANT_NOT_ALLOWED. The role reaches the account's next access token (refresh)."""
    return await service.grant(uow, identity, account_id, body, caller)


@router.delete(
    "/{account_id}/grants/{grant_id}",
    status_code=204,
    summary="Revoke a role",
    dependencies=[allow(*PEOPLE)],
    responses=problem_responses(403, 404, 503),
)
async def revoke_role(
    account_id: uuid.UUID, grant_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> Response:
    """New tokens lack the role at once; access tokens already issued keep it at most 15 minutes."""
    await service.revoke(uow, identity, account_id, grant_id, caller)
    return Response(status_code=204)


@router.post(
    f"{ENTERPRISE}/invitations",
    status_code=201,
    summary="Create an invitation code",
    dependencies=[allow(*REPRESENTATIVE)],
    responses=problem_responses(403, 422),
)
async def create_invitation(
    enterprise_id: uuid.UUID,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    caller: CallerDep,
    response: Response,
    body: InvitationCreate | None = None,
) -> InvitationCreated:
    """The code is in this answer only (the service keeps its digest); it makes one employee."""
    response.headers["Cache-Control"] = "no-store"
    return await service.create_invitation(uow, identity, enterprise_id, body or InvitationCreate(), caller)


@router.get(
    f"{ENTERPRISE}/invitations",
    summary="The enterprise's invitation codes",
    dependencies=[allow(*REPRESENTATIVE)],
    responses=problem_responses(403),
)
async def list_invitations(enterprise_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> InvitationList:
    """Newest first, with status (active, used, expired, cancelled); never the codes."""
    return await service.list_invitations(uow, identity, enterprise_id)


@router.delete(
    f"{ENTERPRISE}/invitations/{{invitation_id}}",
    status_code=204,
    summary="Cancel an invitation code",
    dependencies=[allow(*REPRESENTATIVE)],
    responses=problem_responses(403, 404),
)
async def cancel_invitation(
    enterprise_id: uuid.UUID, invitation_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> Response:
    """The code stops working at once."""
    await service.cancel_invitation(uow, identity, enterprise_id, invitation_id, caller)
    return Response(status_code=204)


@redeem_router.post(
    "/invitations/redeem",
    summary="Redeem an invitation code",
    dependencies=[allow(*ACCOUNT_ROLES)],
    responses=problem_responses(400, 404, 409, 422, 429),
)
async def redeem_invitation(
    body: InvitationRedeem, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> Redeemed:
    """Become an employee of the code's enterprise. Unknown, used, cancelled or expired: the same
    400 INVITATION_INVALID. Ten wrong codes an hour per account, then 429 TOO_MANY_ATTEMPTS.
    Refresh the token afterwards: the new role is in the next access token."""
    return await service.redeem(uow, identity, body, caller)


@router.post(
    "/join-requests",
    status_code=201,
    summary="Ask to join an enterprise",
    dependencies=[allow(*ACCOUNT_ROLES)],
    responses=problem_responses(404, 409, 422),
)
async def request_to_join(
    body: JoinRequestCreate, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> JoinRequestRead:
    """Pending until the enterprise's representative approves or rejects it; one pending at a time."""
    return await service.request_to_join(uow, identity, body, caller)


@router.get(
    f"{ENTERPRISE}/join-requests",
    summary="The enterprise's join requests",
    dependencies=[allow(*REPRESENTATIVE)],
    responses=problem_responses(403, 422),
)
async def list_join_requests(
    enterprise_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, status: JoinRequestStatus | None = None
) -> JoinRequestList:
    """Newest first; `status=pending` for those waiting."""
    return await service.list_join_requests(uow, identity, enterprise_id, status)


@router.post(
    f"{ENTERPRISE}/join-requests/{{request_id}}/approve",
    summary="Approve a join request",
    dependencies=[allow(*REPRESENTATIVE)],
    responses=problem_responses(403, 404, 409),
)
async def approve_join_request(
    enterprise_id: uuid.UUID, request_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> JoinRequestRead:
    """Grants `employee` (source `join_request`); a request already decided is 404 (one decision wins)."""
    return await service.decide_join_request(uow, identity, enterprise_id, request_id, "approve", caller)


@router.post(
    f"{ENTERPRISE}/join-requests/{{request_id}}/reject",
    summary="Reject a join request",
    dependencies=[allow(*REPRESENTATIVE)],
    responses=problem_responses(403, 404),
)
async def reject_join_request(
    enterprise_id: uuid.UUID, request_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, caller: CallerDep
) -> JoinRequestRead:
    """A request already decided is 404: of an approval and a rejection at the same time exactly one wins."""
    return await service.decide_join_request(uow, identity, enterprise_id, request_id, "reject", caller)


@audit_router.get("", summary="The audit trail", dependencies=[allow(*ADMIN)], responses=problem_responses(400, 422))
async def audit_trail(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    account_id: uuid.UUID | None = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> Page[AuditRead]:
    """Newest first; pass `next_cursor` as `after` for the next page. Never holds a code, password or token."""
    return await service.audit_page(uow, identity, account_id, after, limit)
