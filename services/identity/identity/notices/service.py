"""Recipients resolved from accounts and live grants, for the notifications service (which keeps only subjects)."""

from __future__ import annotations

import uuid

from identity.notices.repository import (
    RecipientRepository,
    holders_in_communities,
    holders_in_communities_enterprises,
    holders_in_enterprises,
    holders_in_grids,
)
from identity.notices.schemas import (
    CommunityEmployeesSelector,
    CommunityRepsSelector,
    CommunityStaffSelector,
    EmployeesSelector,
    EnterpriseRepsSelector,
    GridWorkersSelector,
    Recipient,
    RecipientPage,
    RecipientQuery,
    SubjectsSelector,
)
from identity.settings import Settings
from shared.uow import UnitOfWork


async def recipients(uow: UnitOfWork, body: RecipientQuery) -> RecipientPage:
    """One page of the active accounts the selector names now, by account id."""
    settings: Settings = uow.app.state.settings
    selector = body.selector
    subjects: list[uuid.UUID] = []
    match selector:
        case SubjectsSelector():
            subjects = sorted({subject for text in selector.subjects if (subject := _account_id(text)) is not None})
            if not subjects:
                return RecipientPage(items=[], next=None)
            holders = None
        case EnterpriseRepsSelector():
            holders = holders_in_enterprises("enterprise_rep", selector.enterprise_ids)
        case CommunityRepsSelector():
            holders = holders_in_communities_enterprises("enterprise_rep", selector.community_ids)
        case CommunityStaffSelector():
            holders = holders_in_communities("community_staff", selector.community_ids)
        case EmployeesSelector():
            holders = holders_in_enterprises("employee", selector.enterprise_ids)
        case CommunityEmployeesSelector():
            holders = holders_in_communities_enterprises("employee", selector.community_ids)
        case GridWorkersSelector():
            holders = holders_in_grids("grid_worker", selector.grid_ids)
    rows = await uow.repository(RecipientRepository).page(
        settings.wechat_appid, holders=holders, subjects=subjects, after=body.after, limit=body.limit + 1
    )
    page = rows[: body.limit]
    return RecipientPage(
        items=[Recipient(subject=str(row.account_id), wechat=row.wechat, sms=row.sms) for row in page],
        next=str(page[-1].account_id) if len(rows) > body.limit else None,
    )


def _account_id(subject: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(subject)
    except ValueError:
        return None
