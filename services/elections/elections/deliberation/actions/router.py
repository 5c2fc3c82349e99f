"""`/v1/committees/{id}/actions`: adopted decisions tracked to done."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Request, Response

from elections.deliberation.actions import service
from elections.deliberation.actions.schemas import ActionOut, ActionUpdateIn
from elections.deliberation.roles import MEMBERS, STAFF
from shared.auth import CurrentIdentity, allow
from shared.concurrency import set_etag
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_keyset, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/committees", tags=["deliberation"])


@router.get(
    "/{committee_id}/actions",
    summary="The committee's tracked actions and their progress",
    dependencies=[allow(*MEMBERS)],
    responses=problem_responses(400, 404),
)
async def list_actions(
    committee_id: uuid.UUID,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    request: Request,
    response: Response,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[ActionOut]:
    """Earliest due first; members of the community (others: 404 `COMMITTEE_NOT_FOUND`)."""
    after = decode_keyset(cursor, dt.date.fromisoformat, uuid.UUID)
    page = await service.page(uow, identity, committee_id, after, limit)
    link_next(request, response, page.next_cursor)
    return page


@router.post(
    "/{committee_id}/actions/{action_id}/updates",
    status_code=201,
    summary="Report progress on an action (done at 100)",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def update_action(
    committee_id: uuid.UUID,
    action_id: uuid.UUID,
    body: ActionUpdateIn,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    response: Response,
) -> ActionOut:
    """Staff of the community."""
    out = await service.record_update(uow, identity, committee_id, action_id, body)
    set_etag(response, out.version)
    return out
