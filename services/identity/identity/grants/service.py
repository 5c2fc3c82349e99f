"""Who may grant what: admin and staff grants, invitation codes, join requests, and the audit read."""

from __future__ import annotations

import datetime as dt
import uuid

from identity.accounts import service as accounts
from identity.accounts.exceptions import AccountNotFound
from identity.accounts.models import RoleGrant
from identity.accounts.repository import AccountRepository
from identity.accounts.schemas import GrantRead
from identity.audit.repository import AuditRepository
from identity.caller import Caller
from identity.grants import codes
from identity.grants.exceptions import (
    GrantNotAllowed,
    GrantNotFound,
    GridDutyMissing,
    InvitationInvalid,
    InvitationNotFound,
    JoinRequestNotFound,
    NotYourEnterprise,
    TooManyAttempts,
)
from identity.grants.grid_client import GridDirectory
from identity.grants.models import Invitation, JoinRequest
from identity.grants.repository import (
    INVITATION_FAILED,
    GrantRepository,
    InvitationRepository,
    JoinRequestRepository,
)
from identity.grants.schemas import (
    AccountList,
    AuditRead,
    GrantCreate,
    InvitationCreate,
    InvitationCreated,
    InvitationList,
    InvitationRead,
    InvitationRedeem,
    JoinRequestCreate,
    JoinRequestList,
    JoinRequestRead,
    Redeemed,
)
from identity.grants.states import DECISIONS, InvitationStatus, JoinRequestStatus
from identity.settings import Settings
from shared.auth import Identity, Role
from shared.db import utcnow
from shared.pagination import Page, decode_keyset, encode_cursor
from shared.uow import UnitOfWork

# What a platform admin may grant by hand (every grantable role; `employee` and `enterprise_rep`
# normally come from invitations, join requests and the registry, by hand only to mend).
ADMIN_GRANTS = frozenset(
    {
        Role.platform_admin,
        Role.community_staff,
        Role.grid_worker,
        Role.election_observer,
        Role.employee,
        Role.enterprise_rep,
    }
)
# What community staff may grant: grid workers of a grid in one of their own communities.
STAFF_GRANTS = frozenset({Role.grid_worker})


def _account_of(identity: Identity) -> uuid.UUID:
    try:
        return uuid.UUID(identity.subject)
    except ValueError as exc:  # a development token's made-up subject has no account
        raise AccountNotFound() from exc


def _settings(uow: UnitOfWork) -> Settings:
    settings: Settings = uow.app.state.settings
    return settings


# --- admin and staff grants -------------------------------------------------------------------


async def _may_manage(
    uow: UnitOfWork, identity: Identity, role: str, grid_id: uuid.UUID | None, *, granting: bool
) -> None:
    """Platform admins manage every role; community staff only grid workers of their communities'
    grids (the grid service says which community a grid is in); anyone else: GRANT_NOT_ALLOWED."""
    if Role.platform_admin in identity.roles and role in ADMIN_GRANTS:
        if granting and grid_id is not None:
            await _grids(uow).community_of(grid_id)  # the grid must exist (404 GRID_NOT_FOUND)
        return
    if Role.community_staff in identity.roles and role in STAFF_GRANTS and grid_id is not None:
        if await _grids(uow).community_of(grid_id) in identity.community_ids:
            return
    raise GrantNotAllowed()


def _grids(uow: UnitOfWork) -> GridDirectory:
    directory: GridDirectory = uow.app.state.grid_directory
    return directory


async def grant(
    uow: UnitOfWork, identity: Identity, account_id: uuid.UUID, body: GrantCreate, caller: Caller
) -> GrantRead:
    """Grant a role through the API (source `api`); the unique index refuses a second live one."""
    if Role.platform_admin not in identity.roles and Role.community_staff not in identity.roles:
        raise GrantNotAllowed()
    await _may_manage(uow, identity, body.role, body.grid_id, granting=True)
    if await uow.repository(AccountRepository).get(account_id) is None:
        raise AccountNotFound()
    worker = body.role == "grid_worker" and body.grid_id is not None
    if worker and body.grid_id is not None and not await _grids(uow).on_duty(body.grid_id, account_id):
        raise GridDutyMissing(errors=[{"detail": "no duty in the grid service", "pointer": "/grid_id"}])
    return await accounts.add_grant(
        uow,
        account_id,
        Role(body.role),
        granted_by=identity.subject,
        source="api",
        source_ip=caller.ip,
        **body.scope(),
    )


async def revoke(
    uow: UnitOfWork, identity: Identity, account_id: uuid.UUID, grant_id: uuid.UUID, caller: Caller
) -> None:
    """Revoke a live grant: new tokens lack the role at once, issued ones carry it until they expire."""
    if Role.platform_admin not in identity.roles and Role.community_staff not in identity.roles:
        raise GrantNotAllowed()
    grants = uow.repository(GrantRepository)
    existing: RoleGrant | None = await grants.get(account_id, grant_id)
    if existing is None or existing.revoked_at is not None:
        raise GrantNotFound()
    # an admin revokes without asking the grid service (a grant must be revocable while it is down)
    await _may_manage(uow, identity, existing.role, existing.grid_id, granting=False)
    if await grants.revoke(account_id, grant_id, identity.subject) is None:
        raise GrantNotFound()  # revoked meanwhile by someone else
    uow.repository(AuditRepository).add(
        identity.subject,
        "role_revoked",
        account_id=account_id,
        source_ip=caller.ip,
        detail={"role": existing.role, "source": existing.source, "grant_id": str(grant_id)},
    )


async def find_by_phone(uow: UnitOfWork, identity: Identity, phone: str) -> AccountList:
    """The account whose verified phone is `phone` (normalised), if any."""
    account = await uow.repository(AccountRepository).by_phone(phone)
    if account is None:
        return AccountList(items=[])
    return AccountList(items=[await accounts.get_account(uow, identity, account.id)])


# --- invitation codes -------------------------------------------------------------------------


def _require_representative(identity: Identity, enterprise_id: uuid.UUID) -> None:
    if Role.enterprise_rep not in identity.roles or identity.enterprise_id != enterprise_id:
        raise NotYourEnterprise()


def _status(invitation: Invitation, now: dt.datetime) -> InvitationStatus:
    if invitation.used_at is not None:
        return "used"
    if invitation.cancelled_at is not None:
        return "cancelled"
    return "expired" if invitation.expires_at <= now else "active"


def _read(invitation: Invitation, now: dt.datetime) -> InvitationRead:
    return InvitationRead(
        id=invitation.id,
        enterprise_id=invitation.enterprise_id,
        status=_status(invitation, now),
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        used_at=invitation.used_at,
        cancelled_at=invitation.cancelled_at,
    )


async def create_invitation(
    uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID, body: InvitationCreate, caller: Caller
) -> InvitationCreated:
    """A one-time code for the representative to hand on; the answer is the only place it appears."""
    _require_representative(identity, enterprise_id)
    code = codes.new_code()
    now = utcnow()
    invitation = await uow.repository(InvitationRepository).add(
        Invitation(
            id=uuid.uuid4(),
            enterprise_id=enterprise_id,
            code_sha256=codes.digest(code),
            created_by=identity.subject,
            created_at=now,
            expires_at=now + dt.timedelta(hours=body.expires_in_hours),
        )
    )
    uow.repository(AuditRepository).add(
        identity.subject,
        "invitation_created",
        account_id=None,
        source_ip=caller.ip,
        detail={
            "invitation_id": str(invitation.id),
            "enterprise_id": str(enterprise_id),
            "expires_in_hours": body.expires_in_hours,
        },
    )
    return InvitationCreated(**_read(invitation, now).model_dump(), code=code)


async def list_invitations(uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID) -> InvitationList:
    """The enterprise's codes, newest first (the last 100), with their status; never the codes."""
    _require_representative(identity, enterprise_id)
    now = utcnow()
    rows = await uow.repository(InvitationRepository).of_enterprise(enterprise_id)
    return InvitationList(items=[_read(row, now) for row in rows])


async def cancel_invitation(
    uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID, invitation_id: uuid.UUID, caller: Caller
) -> None:
    """The code stops working; cancelling one already used or cancelled changes nothing."""
    _require_representative(identity, enterprise_id)
    invitations = uow.repository(InvitationRepository)
    if await invitations.cancel(enterprise_id, invitation_id):
        uow.repository(AuditRepository).add(
            identity.subject,
            "invitation_cancelled",
            account_id=None,
            source_ip=caller.ip,
            detail={"invitation_id": str(invitation_id), "enterprise_id": str(enterprise_id)},
        )
    elif await invitations.get(enterprise_id, invitation_id) is None:
        raise InvitationNotFound()


async def redeem(uow: UnitOfWork, identity: Identity, body: InvitationRedeem, caller: Caller) -> Redeemed:
    """Use a code once: the caller becomes an `employee` of its enterprise in the same transaction."""
    account_id = _account_of(identity)
    invitations = uow.repository(InvitationRepository)
    limit = _settings(uow).invitation_failures_per_hour
    failures, oldest = await invitations.lock_redemptions(account_id)
    if failures >= limit:
        retry = 3600 if oldest is None else max(1, int(3600 - (utcnow() - oldest).total_seconds()) + 1)
        raise TooManyAttempts(headers={"Retry-After": str(retry)}, extra={"retry_after_seconds": retry})
    code = codes.normalise(body.code)
    used = None if code is None else await invitations.redeem(codes.digest(code), account_id)
    if used is None:
        # committed on its own: the refusal rolls the unit of work back, the count must keep it
        await uow.repository(AuditRepository).add_now(
            identity.subject, INVITATION_FAILED, account_id=account_id, source_ip=caller.ip, detail={}
        )
        raise InvitationInvalid()
    invitation_id, enterprise_id, created_by = used
    if await uow.repository(AccountRepository).get(account_id) is None:
        raise AccountNotFound()
    await accounts.add_grant(
        uow,
        account_id,
        Role.employee,
        granted_by=created_by,
        source="invitation",
        source_ip=caller.ip,
        enterprise_id=enterprise_id,
    )
    uow.repository(AuditRepository).add(
        identity.subject,
        "invitation_redeemed",
        account_id=account_id,
        source_ip=caller.ip,
        detail={"invitation_id": str(invitation_id), "enterprise_id": str(enterprise_id)},
    )
    return Redeemed(account=await accounts.my_account(uow, identity))


# --- join requests ----------------------------------------------------------------------------


async def request_to_join(
    uow: UnitOfWork, identity: Identity, body: JoinRequestCreate, caller: Caller
) -> JoinRequestRead:
    """A pending request; a second while one is pending is 409 JOIN_REQUEST_EXISTS (the index decides)."""
    account_id = _account_of(identity)
    if await uow.repository(AccountRepository).get(account_id) is None:
        raise AccountNotFound()
    request = await uow.repository(JoinRequestRepository).add(
        JoinRequest(id=uuid.uuid4(), account_id=account_id, enterprise_id=body.enterprise_id, status="pending")
    )
    uow.repository(AuditRepository).add(
        identity.subject,
        "join_requested",
        account_id=account_id,
        source_ip=caller.ip,
        detail={"join_request_id": str(request.id), "enterprise_id": str(body.enterprise_id)},
    )
    return JoinRequestRead.model_validate(request)


async def list_join_requests(
    uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID, status: JoinRequestStatus | None
) -> JoinRequestList:
    """The enterprise's requests, newest first (the last 100), by status when given."""
    _require_representative(identity, enterprise_id)
    rows = await uow.repository(JoinRequestRepository).of_enterprise(enterprise_id, status)
    return JoinRequestList(items=[JoinRequestRead.model_validate(row) for row in rows])


async def decide_join_request(
    uow: UnitOfWork,
    identity: Identity,
    enterprise_id: uuid.UUID,
    request_id: uuid.UUID,
    decision: str,
    caller: Caller,
) -> JoinRequestRead:
    """Approve (the `employee` grant, source `join_request`) or reject a pending request, once."""
    _require_representative(identity, enterprise_id)
    status = DECISIONS[decision]
    decided = await uow.repository(JoinRequestRepository).decide(enterprise_id, request_id, status, identity.subject)
    if decided is None:
        raise JoinRequestNotFound()
    if status == "approved":
        await accounts.add_grant(
            uow,
            decided.account_id,
            Role.employee,
            granted_by=identity.subject,
            source="join_request",
            source_ip=caller.ip,
            enterprise_id=enterprise_id,
        )
    uow.repository(AuditRepository).add(
        identity.subject,
        f"join_request_{status}",
        account_id=decided.account_id,
        source_ip=caller.ip,
        detail={"join_request_id": str(request_id), "enterprise_id": str(enterprise_id)},
    )
    return JoinRequestRead.model_validate(decided)


# --- the audit read ---------------------------------------------------------------------------


async def audit_page(
    uow: UnitOfWork, identity: Identity, account_id: uuid.UUID | None, cursor: str | None, limit: int
) -> Page[AuditRead]:
    """Newest first; `next_cursor` continues strictly after the last record of this page."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    rows = await uow.repository(AuditRepository).page(
        after=None if after is None else (after[0], after[1]), limit=limit + 1, account_id=account_id
    )
    items = [AuditRead.model_validate(row) for row in rows[:limit]]
    next_cursor = encode_cursor([rows[limit - 1].at.isoformat(), rows[limit - 1].id]) if len(rows) > limit else None
    return Page[AuditRead](items=items, next_cursor=next_cursor)
