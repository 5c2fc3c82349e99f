"""Accounts: who they are, which roles their grants give, disabling and enabling."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Protocol

from identity.accounts.exceptions import AccountNotFound
from identity.accounts.models import Account, RoleGrant
from identity.accounts.repository import AccountRepository
from identity.accounts.schemas import AccountRead, DeniedSubjects, GrantRead
from identity.accounts.states import AccountStatus
from identity.audit.repository import AuditRepository
from identity.caller import Caller
from identity.enterprises.repository import EnterpriseCommunityRepository
from identity.enterprises.service import refresh_communities
from identity.sessions.repository import SessionRepository
from identity.settings import Settings
from shared.auth import Identity, Role
from shared.uow import UnitOfWork

ENTERPRISE_ROLES = frozenset({"employee", "enterprise_rep"})


class GrantLike(Protocol):
    """What a token needs of a live grant (a `RoleGrant` row, or the refresh statement's tuple)."""

    @property
    def role(self) -> str: ...
    @property
    def community_id(self) -> uuid.UUID | None: ...
    @property
    def grid_id(self) -> uuid.UUID | None: ...
    @property
    def enterprise_id(self) -> uuid.UUID | None: ...
    @property
    def election_id(self) -> uuid.UUID | None: ...


def enterprise_of(grants: Sequence[GrantLike]) -> uuid.UUID | None:
    """The enterprise a token speaks for: the first represented one, else the first employer."""
    return next((g.enterprise_id for g in grants if g.role == "enterprise_rep"), None) or next(
        (g.enterprise_id for g in grants if g.role == "employee"), None
    )


def identity_of_grants(
    account_id: uuid.UUID,
    display_name: str | None,
    grants: Sequence[GrantLike],
    enterprise_communities: Iterable[uuid.UUID] = (),
) -> Identity:
    """The token's identity: `account` and every live grant's role, with the scopes the services read.

    `community_ids` are the staff grants' communities; an account without any gets its
    enterprise's communities instead (`enterprise_communities`), which employees and representatives
    are scoped by. The token has one `community_ids` for all its roles, so a staff member who is
    also an employee keeps staff scope only: an enterprise's community must not become a
    community they may administer."""
    roles = {Role.account} | {Role(grant.role) for grant in grants}
    staff_communities = frozenset(g.community_id for g in grants if g.role == "community_staff" and g.community_id)
    return Identity(
        subject=str(account_id),
        roles=frozenset(roles),
        name=display_name,
        community_ids=staff_communities or frozenset(enterprise_communities),
        grid_ids=frozenset(g.grid_id for g in grants if g.role == "grid_worker" and g.grid_id),
        enterprise_id=enterprise_of(grants),
        election_ids=frozenset(g.election_id for g in grants if g.role == "election_observer" and g.election_id),
    )


async def token_identity(uow: UnitOfWork, account_id: uuid.UUID) -> Identity:
    accounts = uow.repository(AccountRepository)
    account = await accounts.get(account_id)
    if account is None:
        raise AccountNotFound()
    grants = await accounts.live_grants(account_id)
    enterprise = enterprise_of(grants)
    communities = await uow.repository(EnterpriseCommunityRepository).of([enterprise] if enterprise else [])
    return identity_of_grants(account.id, account.display_name, grants, communities)


async def create_account(uow: UnitOfWork, *, phone: str | None = None, display_name: str | None = None) -> Account:
    """A new active account with no grants (sign-in flows create them)."""
    return await uow.repository(AccountRepository).add(Account(id=uuid.uuid4(), phone=phone, display_name=display_name))


# How a role is named to the person who receives it (RoleGranted's words)
ROLE_NAMES = {
    "platform_admin": ("平台管理员", "platform administrator"),
    "community_staff": ("社区工作人员", "community staff"),
    "grid_worker": ("网格员", "grid worker"),
    "enterprise_rep": ("企业授权代表", "enterprise representative"),
    "employee": ("企业员工", "employee"),
    "election_observer": ("选举监督员", "election observer"),
}


async def add_grant(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    role: Role,
    *,
    granted_by: str,
    source: str,
    source_ip: str | None,
    community_id: uuid.UUID | None = None,
    grid_id: uuid.UUID | None = None,
    enterprise_id: uuid.UUID | None = None,
    election_id: uuid.UUID | None = None,
) -> GrantRead:
    """Record a grant and its audit record in the unit of work."""
    grant = await uow.repository(AccountRepository).add_grant(
        RoleGrant(
            id=uuid.uuid4(),
            account_id=account_id,
            role=str(role),
            community_id=community_id,
            grid_id=grid_id,
            enterprise_id=enterprise_id,
            election_id=election_id,
            source=source,
            granted_by=granted_by,
        )
    )
    if str(role) in ENTERPRISE_ROLES and enterprise_id is not None:
        await refresh_communities(uow, enterprise_id)
    # on the feed, for the notifications service: the person hears of their new role
    await uow.repository(AccountRepository).announce(
        "RoleGranted",
        account_id,
        {
            "subject": str(account_id),
            "role": str(role),
            "role_zh": ROLE_NAMES.get(str(role), (str(role), str(role)))[0],
            "role_en": ROLE_NAMES.get(str(role), (str(role), str(role)))[1],
            "source": source,
            "community_id": str(community_id) if community_id else None,
            "grid_id": str(grid_id) if grid_id else None,
            "enterprise_id": str(enterprise_id) if enterprise_id else None,
            "election_id": str(election_id) if election_id else None,
        },
    )
    uow.repository(AuditRepository).add(
        granted_by,
        "role_granted",
        account_id=account_id,
        source_ip=source_ip,
        detail={"role": str(role), "source": source, "grant_id": str(grant.id)},
    )
    return GrantRead.model_validate(grant)


async def _present(uow: UnitOfWork, account: Account) -> AccountRead:
    grants = await uow.repository(AccountRepository).live_grants(account.id)
    return AccountRead(
        id=account.id,
        display_name=account.display_name,
        phone_bound=account.phone is not None,
        status=account.status,
        version=account.version,
        created_at=account.created_at,
        grants=[GrantRead.model_validate(grant) for grant in grants],
    )


def _account_id(identity: Identity) -> uuid.UUID:
    try:
        return uuid.UUID(identity.subject)
    except ValueError as exc:  # a development token's made-up subject has no account
        raise AccountNotFound() from exc


async def my_account(uow: UnitOfWork, identity: Identity) -> AccountRead:
    account = await uow.repository(AccountRepository).get(_account_id(identity))
    if account is None:
        raise AccountNotFound()
    return await _present(uow, account)


async def get_account(uow: UnitOfWork, identity: Identity, account_id: uuid.UUID) -> AccountRead:
    account = await uow.repository(AccountRepository).get(account_id)
    if account is None:
        raise AccountNotFound()
    return await _present(uow, account)


async def set_status(
    uow: UnitOfWork, identity: Identity, account_id: uuid.UUID, status: AccountStatus, caller: Caller
) -> AccountRead:
    """Disable (every session revoked, the gateway refuses live tokens within seconds) or enable."""
    account = await uow.repository(AccountRepository).set_status(account_id, status)
    if account is None:
        raise AccountNotFound()
    revoked = 0
    if status == "disabled":
        revoked = await uow.repository(SessionRepository).revoke_all(account_id, "account_disabled")
    uow.repository(AuditRepository).add(
        identity.subject,
        "account_disabled" if status == "disabled" else "account_enabled",
        account_id=account_id,
        source_ip=caller.ip,
        detail={"sessions_revoked": revoked},
    )
    return await _present(uow, account)


async def denied_subjects(uow: UnitOfWork) -> DeniedSubjects:
    settings: Settings = uow.app.state.settings
    window = settings.access_token_seconds + settings.key_leeway_seconds
    ids = await uow.repository(AccountRepository).disabled_since(window)
    return DeniedSubjects(subjects=sorted(str(account_id) for account_id in ids), window_seconds=window)


async def on_phone_verified(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    """A sign-in or a binding proved the account's phone: grants that follow the phone (the
    registry's representative records) are brought up to date here, in the same unit of work."""
    from identity.representatives import service as representatives  # noqa: PLC0415  (it imports this module)

    await representatives.sync_account(uow, account_id)
