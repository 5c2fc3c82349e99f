"""Rules of activities: who may enrol, capacity, the ordered waiting list and promotion."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from service_requests.activities.exceptions import (
    ActivityCancelled,
    ActivityNotFound,
    ActivityStarted,
    AlreadyEnrolled,
    NotEnrolled,
)
from service_requests.activities.models import Activity
from service_requests.activities.repository import ActivityRepository
from service_requests.activities.schemas import (
    ActivityCreate,
    ActivityRead,
    EnrollmentList,
    EnrollmentRead,
    MyEnrollment,
)
from shared.auth import Identity, Role
from shared.errors import Forbidden
from shared.i18n import Text
from shared.outbox import OutboxEvent, chunked
from shared.pagination import Page, decode_keyset, encode_cursor
from shared.uow import UnitOfWork

REMIND_AHEAD = dt.timedelta(hours=24)  # ActivityReminder: the day before the start


def _about(activity: Any) -> dict[str, Any]:
    """What every activity event says about the activity: ids, its title and start, nothing personal."""
    return {
        "activity_id": str(activity.id),
        "community_id": str(activity.community_id),
        "title": activity.title,
        "starts_at": activity.starts_at.isoformat(),
    }


def _event(event_type: str, activity: Any, **payload: Any) -> OutboxEvent:
    return (event_type, "activity", activity.id, _about(activity) | payload)


def _fan_out(event_type: str, activity: Any, subjects: list[str]) -> list[OutboxEvent]:
    """One event per slice of at most 500 subjects, numbered so a consumer can tell it has them all."""
    parts = chunked(subjects)
    return [
        _event(event_type, activity, subjects=list(part), part=index, parts=len(parts))
        for index, part in enumerate(parts, 1)
    ]


async def create(uow: UnitOfWork, identity: Identity, body: ActivityCreate) -> ActivityRead:
    """Publish an activity in a community the caller manages."""
    if not identity.staff_of(body.community_id):
        raise Forbidden(Text("只能为本社区发布活动", "You may only publish activities of your own community"))
    activity = Activity(id=uuid.uuid4(), enrolled_count=0, **body.model_dump(mode="python"))
    activity.scenario = body.scenario.value
    activity.eligible_roles = list(body.eligible_roles)
    return _activity(await uow.repository(ActivityRepository).add(activity))


def can_see(identity: Identity, community_id: uuid.UUID) -> bool:
    return identity.has(Role.platform_admin) or community_id in identity.community_ids


async def _visible(repository: ActivityRepository, identity: Identity, activity_id: uuid.UUID) -> Activity:
    activity = await repository.get(activity_id)
    if activity is None or not can_see(identity, activity.community_id):
        raise ActivityNotFound()
    return activity


async def get(uow: UnitOfWork, identity: Identity, activity_id: uuid.UUID) -> ActivityRead:
    """An activity of one of the caller's communities, or 404."""
    return _activity(await _visible(uow.repository(ActivityRepository), identity, activity_id))


async def page(uow: UnitOfWork, identity: Identity, cursor: str | None, limit: int) -> Page[ActivityRead]:
    """Activities of the caller's communities (every one for a platform admin), soonest first."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    scope = None if identity.has(Role.platform_admin) else list(identity.community_ids)
    rows = await uow.repository(ActivityRepository).page(community_ids=scope, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor([rows[limit - 1].starts_at.isoformat(), rows[limit - 1].id])
    return Page(items=[_activity(row) for row in rows[:limit]], next_cursor=next_cursor)


def _activity(activity: Any) -> ActivityRead:
    return ActivityRead.model_validate(activity, from_attributes=True)


def _read(row: Any, position: int | None) -> EnrollmentRead:
    return EnrollmentRead(
        id=row.id,
        activity_id=row.activity_id,
        subject=row.subject,
        enterprise_id=row.enterprise_id,
        status=row.status,
        waitlist_position=position,
        created_at=row.created_at,
    )


async def enroll(uow: UnitOfWork, identity: Identity, activity_id: uuid.UUID, now: dt.datetime) -> EnrollmentRead:
    """Take a seat if one is free, else join the end of the waiting list (the activity row is locked)."""
    repository = uow.repository(ActivityRepository)
    activity = await repository.lock(activity_id)
    if activity is None or not can_see(identity, activity.community_id):
        raise ActivityNotFound()
    if activity.cancelled_at is not None:
        raise ActivityCancelled()
    if activity.starts_at <= now:
        raise ActivityStarted(extra={"starts_at": activity.starts_at.isoformat().replace("+00:00", "Z")})
    if identity.roles.isdisjoint(activity.eligible_roles):
        raise Forbidden(Text("您的角色不能报名该活动", "Your role may not enrol in this activity"))
    if await repository.active_enrollment(activity_id, identity.subject) is not None:
        raise AlreadyEnrolled()
    seat_free = activity.enrolled_count < activity.capacity
    row = await repository.insert_enrollment(
        {
            "id": uuid.uuid4(),
            "activity_id": activity_id,
            "subject": identity.subject,
            "enterprise_id": identity.enterprise_id,
            "status": "enrolled" if seat_free else "waitlisted",
            "created_at": now,
            "updated_at": now,
        }
    )
    position = None
    if seat_free:
        await repository.change_count(activity_id, +1)
    else:
        position = await repository.waitlist_position(activity_id, row.queue_position)
    event = _event(
        "ActivityEnrolled",
        activity,
        subject=identity.subject,
        enterprise_id=str(identity.enterprise_id) if identity.enterprise_id else None,
        enrollment_id=str(row.id),
        waitlisted=not seat_free,
        waitlist_position=position,
    )
    await repository.record([event])
    return _read(row, position)


async def cancel(uow: UnitOfWork, identity: Identity, activity_id: uuid.UUID, now: dt.datetime) -> None:
    """Give up a seat (the first on the waiting list takes it) or a place on the waiting list."""
    repository = uow.repository(ActivityRepository)
    activity = await repository.lock(activity_id)
    if activity is None or not can_see(identity, activity.community_id):
        raise ActivityNotFound()
    if activity.cancelled_at is not None:
        raise ActivityCancelled()
    mine = await repository.active_enrollment(activity_id, identity.subject)
    if mine is None:
        raise NotEnrolled()
    await repository.set_status(mine.id, "cancelled", now)
    events = [
        _event(
            "ActivityEnrolmentCancelled", activity, subject=mine.subject, enrollment_id=str(mine.id), was=mine.status
        )
    ]
    successor = await repository.first_waitlisted(activity_id) if mine.status == "enrolled" else None
    if mine.status == "enrolled" and successor is None:
        await repository.change_count(activity_id, -1)
    elif successor is not None:
        await repository.set_status(successor.id, "enrolled", now)
        events.append(
            _event("ActivityEnrolmentPromoted", activity, subject=successor.subject, enrollment_id=str(successor.id))
        )
    await repository.record(events)


async def cancel_activity(
    uow: UnitOfWork, identity: Identity, activity_id: uuid.UUID, now: dt.datetime
) -> ActivityRead:
    """Cancel an activity of the caller's community; everyone enrolled or waiting hears of it (ActivityCancelled)."""
    repository = uow.repository(ActivityRepository)
    activity = await repository.lock(activity_id)
    if activity is None or not can_see(identity, activity.community_id):
        raise ActivityNotFound()
    if not identity.staff_of(activity.community_id):
        raise Forbidden(Text("只有社区工作人员可以取消活动", "Only community staff may cancel an activity"))
    if activity.cancelled_at is not None:
        raise ActivityCancelled()
    cancelled = await repository.cancel_activity(activity_id, now)
    subjects = await repository.subjects(activity_id, ("enrolled", "waitlisted"))
    await repository.record(_fan_out("ActivityCancelled", cancelled, subjects))
    return _activity(cancelled)


async def remind_upcoming(uow: UnitOfWork, now: dt.datetime, batch: int = 100) -> int:
    """ActivityReminder, once per activity, to those holding a seat when it starts within 24 hours."""
    repository = uow.repository(ActivityRepository)
    claimed = await repository.claim_reminders(now, REMIND_AHEAD, batch)
    for activity in claimed:
        subjects = await repository.subjects(activity.id, ("enrolled",))
        await repository.record(_fan_out("ActivityReminder", activity, subjects))
    return len(claimed)


async def enrollments(uow: UnitOfWork, identity: Identity, activity_id: uuid.UUID) -> EnrollmentList:
    """Seats and the waiting list in promotion order (staff of the community)."""
    repository = uow.repository(ActivityRepository)
    activity = await _visible(repository, identity, activity_id)
    if not identity.staff_of(activity.community_id):
        raise Forbidden(Text("只有社区工作人员可以查看报名名单", "Only community staff may see the roster"))
    rows = await repository.enrollments(activity_id)
    enrolled = [_read(row, None) for row in rows if row.status == "enrolled"]
    waiting = [row for row in rows if row.status == "waitlisted"]
    return EnrollmentList(enrolled=enrolled, waitlisted=[_read(row, index) for index, row in enumerate(waiting, 1)])


async def my_enrollments(
    uow: UnitOfWork, identity: Identity, status: str | None, cursor: str | None, limit: int
) -> Page[MyEnrollment]:
    """The caller's own enrolments (by token subject), newest first; cancel one with
    `DELETE /v1/activities/{activity_id}/enrollments`."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    rows = await uow.repository(ActivityRepository).of_subject(
        identity.subject, status=status, after=after, limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor([rows[limit - 1].created_at.isoformat(), rows[limit - 1].id])
    items = [MyEnrollment.model_validate(row._mapping, from_attributes=False) for row in rows[:limit]]
    return Page(items=items, next_cursor=next_cursor)
