"""`/v1/hazards`: the hazard ledger (隐患台账)."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Request, Response

from grid.database import platform_tables
from grid.hazards import service
from grid.hazards.schemas import HazardCreate, HazardDetail, HazardRead, HazardStatus, HazardTransition
from grid.hazards.states import HAZARD_TRANSITIONS
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import set_etag
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.pagination import Cursor, Limit, Page, decode_keyset, encode_cursor, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/hazards", tags=["hazards"])

FIELD = (Role.platform_admin, Role.community_staff, Role.grid_worker)


@router.get("/transitions", summary="The hazard lifecycle as data", dependencies=[allow(*FIELD)])
async def hazard_transitions() -> dict[str, dict[str, object]]:
    """Each action: the states it starts from, the state it leads to, and the roles that may take it."""
    return {
        action: {"from": list(step.sources), "to": step.target, "roles": [str(role) for role in step.roles]}
        for action, step in HAZARD_TRANSITIONS.items()
    }


@router.post(
    "",
    status_code=201,
    summary="Report a hazard",
    dependencies=[allow(*FIELD)],
    responses=problem_responses(404, 422),
)
async def report_hazard(
    body: HazardCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Enter a hazard directly in the ledger; it starts as `reported`."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    hazard = await service.report_hazard(uow, identity, body)
    return await idempotency.complete(hazard, headers={"Location": f"/v1/hazards/{hazard.id}"})


@router.get(
    "", summary="The hazard ledger of a community", dependencies=[allow(*FIELD)], responses=problem_responses(400)
)
async def list_hazards(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    status: HazardStatus | None = None,
    overdue: bool = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[HazardRead]:
    """Newest first; `overdue=true` keeps those past their deadline and not rectified."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    hazards = await service.list_hazards(
        uow, identity, community_id, status=status, overdue=overdue, after=after, limit=limit + 1
    )
    last = hazards[limit - 1] if len(hazards) > limit else None
    next_cursor = encode_cursor([last.created_at.isoformat(), last.id]) if last else None
    link_next(request, response, next_cursor)
    return Page(items=hazards[:limit], next_cursor=next_cursor)


@router.get(
    "/{hazard_id}",
    summary="One hazard with its history",
    dependencies=[allow(*FIELD)],
    responses=problem_responses(404),
)
async def get_hazard(
    hazard_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> HazardDetail:
    """The hazard, its overdue flag and every change."""
    hazard = await service.get_hazard(uow, identity, hazard_id)
    set_etag(response, hazard.version)
    return hazard


@router.post(
    "/{hazard_id}/transitions",
    summary="Move a hazard through its lifecycle",
    dependencies=[allow(*FIELD)],
    responses=problem_responses(404, 409, 422),
)
async def transition_hazard(
    hazard_id: uuid.UUID, body: HazardTransition, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> HazardDetail:
    """`start_rectification`, `report_rectified`, `verify` (closes it) or `send_back` (rectified → rectifying)."""
    hazard = await service.transition(uow, identity, hazard_id, body)
    set_etag(response, hazard.version)
    return hazard
