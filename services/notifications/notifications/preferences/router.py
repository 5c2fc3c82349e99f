"""`/v1/notifications/kinds`: what may reach a person, and on which channels they want it."""

from __future__ import annotations

from fastapi import APIRouter, Path

from notifications.preferences import service
from notifications.preferences.schemas import KindRead, PreferenceWrite
from notifications.roles import PEOPLE
from notifications.rules import Kind
from shared.auth import CurrentIdentity, allow
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/notifications/kinds", tags=["notifications"])
KindPath = Path(description="A kind, e.g. `request.resolved` (`GET /v1/notifications/kinds`)")


@router.get("", summary="Every kind of notification, with my channels", dependencies=[allow(*PEOPLE)])
async def kinds(uow: UnitOfWorkDep, identity: CurrentIdentity) -> list[KindRead]:
    """The rules table as a person sees it: who gets what, on which channels, and the caller's choice."""
    return await service.kinds(uow, identity)


@router.put(
    "/{kind}",
    summary="Choose my channels for one kind",
    dependencies=[allow(*PEOPLE)],
    responses=problem_responses(422),
)
async def choose(
    body: PreferenceWrite, uow: UnitOfWorkDep, identity: CurrentIdentity, kind: Kind = KindPath
) -> KindRead:
    """The inbox always receives it; `channels` lists the optional ones wanted. Urgent kinds
    (escalations, red flags, emergency check-ins, the election's closing reminder) are 422."""
    return await service.choose(uow, identity, str(kind), body)
