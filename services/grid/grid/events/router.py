"""`/v1/grid-events`: the report → accept → dispatch → handle → feedback → verify → close loop."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from grid.database import platform_tables
from grid.events import service
from grid.events.schemas import EventCreate, EventDetail, EventRead, EventStatus, EventTransition, SweepResult
from grid.events.transitions import transition_table
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import set_etag
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.pagination import Cursor, Limit, Page, decode_keyset, encode_cursor, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/grid-events", tags=["grid events"])

FIELD = (Role.platform_admin, Role.community_staff, Role.grid_worker)
REPORTERS = (*FIELD, Role.enterprise_rep)


@router.get("/transitions", summary="The event transition table as JSON", dependencies=[allow(*REPORTERS)])
async def transitions() -> dict[str, Any]:
    """Every action: the statuses it starts from, the status it leads to, and who may take it."""
    return transition_table()


@router.post(
    "/supervision-sweep",
    summary="Raise the supervision level of overdue events now",
    dependencies=[allow(Role.platform_admin, Role.service)],
)
async def supervision_sweep(uow: UnitOfWorkDep) -> SweepResult:
    """The same sweep the service runs every minute: yellow when overdue, red 48 h after the deadline."""
    return SweepResult(raised=await service.raise_supervision(uow))


@router.post(
    "",
    status_code=201,
    summary="Report a grid event",
    dependencies=[allow(*REPORTERS)],
    responses=problem_responses(404, 422),
)
async def report_event(body: EventCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity) -> Response:
    """Starts as `reported`; enterprises report in their own community (channel `enterprise`)."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    event = await service.report_event(uow, identity, body)
    return await idempotency.complete(event, headers={"Location": f"/v1/grid-events/{event.id}"})


@router.get("", summary="Grid events of a community", dependencies=[allow(*FIELD)], responses=problem_responses(400))
async def list_events(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    status: EventStatus | None = None,
    overdue: bool = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[EventRead]:
    """Newest first; grid workers see the events of their grids."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    events = await service.list_events(
        uow, identity, community_id, status=status, overdue=overdue, after=after, limit=limit + 1
    )
    last = events[limit - 1] if len(events) > limit else None
    next_cursor = encode_cursor([last.created_at.isoformat(), last.id]) if last else None
    link_next(request, response, next_cursor)
    return Page(items=events[:limit], next_cursor=next_cursor)


@router.get(
    "/{event_id}",
    summary="One grid event with its history",
    dependencies=[allow(*REPORTERS, Role.employee)],
    responses=problem_responses(404),
)
async def get_event(
    event_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> EventDetail:
    """Staff, workers of its grid, its handler, its reporter, or the representative of the enterprise it names."""
    event = await service.get_event(uow, identity, event_id)
    set_etag(response, event.version)
    return event


@router.post(
    "/{event_id}/transitions",
    summary="Take an action on a grid event",
    dependencies=[allow(*FIELD)],
    responses=problem_responses(404, 409, 422),
)
async def transition_event(
    event_id: uuid.UUID, body: EventTransition, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> EventDetail:
    """One action from `GET /v1/grid-events/transitions`; a wrong state is 409, a wrong role 403."""
    event = await service.transition(uow, identity, event_id, body)
    set_etag(response, event.version)
    return event
