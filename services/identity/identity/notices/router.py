"""`/internal/recipients` and `/internal/notices/*`: the notifications service's way to its recipients."""

from __future__ import annotations

from fastapi import APIRouter

from identity.notices import service
from identity.notices.schemas import RecipientPage, RecipientQuery
from shared.auth import Role, allow
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/internal", tags=["internal"])


@router.post(
    "/recipients",
    summary="Who a notification goes to",
    dependencies=[allow(Role.service)],
    responses=problem_responses(422),
)
async def recipients(body: RecipientQuery, uow: UnitOfWorkDep) -> RecipientPage:
    """Active accounts the selector names now (live grants only), by subject; `next` is the next page's `after`."""
    return await service.recipients(uow, body)
