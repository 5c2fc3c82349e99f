"""`/v1/activities`: trainings and social events, enrolment and the waiting list."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from service_requests.activities import service
from service_requests.activities.schemas import (
    ActivityCreate,
    ActivityRead,
    EnrollmentList,
    EnrollmentRead,
    EnrollmentStatus,
    MyEnrollment,
)
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import set_etag
from shared.db import utcnow
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/activities", tags=["activities"])

STAFF = (Role.platform_admin, Role.community_staff)
MEMBERS = (Role.platform_admin, Role.community_staff, Role.enterprise_rep, Role.employee)
ENROLLERS = (Role.enterprise_rep, Role.employee)


@router.post(
    "", status_code=201, summary="Publish an activity", dependencies=[allow(*STAFF)], responses=problem_responses(422)
)
async def create_activity(
    body: ActivityCreate, response: Response, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> ActivityRead:
    """A training or social event with a capacity, in a community the caller manages."""
    activity = await service.create(uow, identity, body)
    set_etag(response, activity.version)
    response.headers["Location"] = f"/v1/activities/{activity.id}"
    return activity


@router.get("", summary="List activities", dependencies=[allow(*MEMBERS)], responses=problem_responses(400))
async def list_activities(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[ActivityRead]:
    """Activities of the caller's communities, soonest first."""
    found = await service.page(uow, identity, cursor, limit)
    link_next(request, response, found.next_cursor)
    return found


@router.get(
    "/enrollments/mine",
    summary="My enrolments",
    dependencies=[allow(*ENROLLERS)],
    responses=problem_responses(400),
)
async def my_enrollments(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    status: EnrollmentStatus | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[MyEnrollment]:
    """Newest first, every status unless `status` is given; cancel with `DELETE /v1/activities/{id}/enrollments`."""
    found = await service.my_enrollments(uow, identity, status, cursor, limit)
    link_next(request, response, found.next_cursor)
    return found


@router.get(
    "/{activity_id}", summary="Get an activity", dependencies=[allow(*MEMBERS)], responses=problem_responses(404)
)
async def get_activity(
    activity_id: uuid.UUID, response: Response, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> ActivityRead:
    """One activity with its seats taken."""
    activity = await service.get(uow, identity, activity_id)
    set_etag(response, activity.version)
    return activity


@router.post(
    "/{activity_id}/cancellation",
    summary="Cancel an activity",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409),
)
async def cancel_activity(
    activity_id: uuid.UUID, response: Response, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> ActivityRead:
    """Staff of its community call an activity off; everyone enrolled or waiting is told (409 when already off)."""
    activity = await service.cancel_activity(uow, identity, activity_id, utcnow())
    set_etag(response, activity.version)
    return activity


@router.post(
    "/{activity_id}/enrollments",
    status_code=201,
    summary="Enrol (or join the waiting list)",
    dependencies=[allow(*ENROLLERS)],
    responses=problem_responses(403, 404, 409),
)
async def enroll(activity_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> EnrollmentRead:
    """`enrolled` while seats are free, then `waitlisted` with a position; capacity is never exceeded."""
    return await service.enroll(uow, identity, activity_id, utcnow())


@router.delete(
    "/{activity_id}/enrollments",
    status_code=204,
    summary="Cancel my enrolment",
    dependencies=[allow(*ENROLLERS)],
    responses=problem_responses(404, 409),
)
async def cancel_enrollment(activity_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> Response:
    """Frees the seat for the first on the waiting list."""
    await service.cancel(uow, identity, activity_id, utcnow())
    return Response(status_code=204)


@router.get(
    "/{activity_id}/enrollments",
    summary="The roster and the waiting list",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404),
)
async def list_enrollments(activity_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> EnrollmentList:
    """Who is enrolled, and who waits in which order."""
    return await service.enrollments(uow, identity, activity_id)
