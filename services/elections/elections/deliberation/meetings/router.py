"""`/v1/meetings`: the committee's meetings (议事会): agenda, attendance, named votes, decisions, minutes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from elections.deliberation.meetings import service
from elections.deliberation.meetings.schemas import (
    AttendanceIn,
    DecisionIn,
    MeetingCreate,
    MeetingOut,
    MeetingSummary,
    MinutesIn,
    VoteIn,
)
from elections.deliberation.roles import MEMBERS, STAFF
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, set_etag
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_keyset, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/meetings", tags=["deliberation"])


def _tagged(out: MeetingOut, response: Response) -> MeetingOut:
    set_etag(response, out.version)
    return out


@router.post(
    "",
    status_code=201,
    summary="Schedule a committee meeting with its agenda",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def schedule_meeting(
    body: MeetingCreate, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> MeetingOut:
    """Staff of the committee's community; proposals on the agenda leave the queue (`on_agenda`)."""
    out = await service.schedule(uow, identity, body)
    response.headers["Location"] = f"/v1/meetings/{out.id}"
    return _tagged(out, response)


@router.get("", summary="List meetings", dependencies=[allow(*MEMBERS)], responses=problem_responses(400))
async def list_meetings(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    request: Request,
    response: Response,
    limit: Limit = 20,
    cursor: Cursor = None,
    community_id: uuid.UUID | None = Query(None, description="Only this community's meetings"),
    committee_id: uuid.UUID | None = Query(None, description="Only this committee's meetings"),
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Words in the title")] = None,
) -> Page[MeetingSummary]:
    """Latest first; the communities of your token (admins: every one)."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    page = await service.page(uow, identity, community_id, committee_id, q, after, limit)
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/{meeting_id}",
    summary="A meeting: agenda, attendance, named votes, decisions, minutes",
    dependencies=[allow(*MEMBERS)],
    responses=problem_responses(404),
)
async def get_meeting(
    meeting_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> MeetingOut:
    """Members of the community (others: 404 `MEETING_NOT_FOUND`)."""
    return _tagged(await service.get(uow, identity, meeting_id), response)


@router.post(
    "/{meeting_id}/attendance",
    summary="Record the members present (by seat)",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def record_attendance(
    meeting_id: uuid.UUID, body: AttendanceIn, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> MeetingOut:
    """Staff; adds to who is present (a member who votes is present too)."""
    return _tagged(await service.record_attendance(uow, identity, meeting_id, body), response)


@router.post(
    "/{meeting_id}/items/{item_id}/votes",
    status_code=201,
    summary="Vote on an agenda item as a committee member (by name, once)",
    dependencies=[allow(Role.enterprise_rep)],
    responses=problem_responses(403, 404, 409, 422),
)
async def vote(
    meeting_id: uuid.UUID, item_id: uuid.UUID, body: VoteIn, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> MeetingOut:
    """The current representative of a sitting enterprise; a non-member is 403 `NOT_COMMITTEE_MEMBER`, a second
    vote 409 `ALREADY_VOTED`."""
    return await service.vote(uow, identity, meeting_id, item_id, body)


@router.post(
    "/{meeting_id}/items/{item_id}/decisions",
    summary="Record the decision on an item (adopted, rejected or referred), with its reason",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def decide(
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    body: DecisionIn,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    response: Response,
) -> MeetingOut:
    """Needs the quorum present (409 `NO_QUORUM`); `adopted` needs more than half of those present voting for it
    and opens a tracked action."""
    return _tagged(await service.decide(uow, identity, meeting_id, item_id, body), response)


@router.put(
    "/{meeting_id}/minutes",
    summary="Write the minutes (until they are approved)",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 412, 422, 428),
)
async def write_minutes(
    meeting_id: uuid.UUID,
    body: MinutesIn,
    expected: IfMatch,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    response: Response,
) -> MeetingOut:
    """With `If-Match`; approved minutes are 409 `MINUTES_APPROVED`."""
    return _tagged(await service.write_minutes(uow, identity, meeting_id, expected, body), response)


@router.post(
    "/{meeting_id}/minutes/approvals",
    summary="Approve the minutes; from then on they never change",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409),
)
async def approve_minutes(
    meeting_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> MeetingOut:
    """Staff of the community; once."""
    return _tagged(await service.approve_minutes(uow, identity, meeting_id), response)
