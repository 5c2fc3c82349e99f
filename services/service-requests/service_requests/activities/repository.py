"""SQL for activities: enrolment locks the activity row, so the count and the queue stay exact."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, case, func, insert, select, update

from service_requests.activities.models import Activity, Enrollment
from service_requests.database import platform_tables
from shared.outbox import OutboxEvent, record_events
from shared.pagination import after_keyset
from shared.uow import Repository

ACTIVITY = cast(Table, Activity.__table__)
ENROLLMENT = cast(Table, Enrollment.__table__)


class ActivityRepository(Repository):
    async def add(self, activity: Activity) -> Activity:
        self.session.add(activity)
        await self.session.flush()
        return activity

    async def get(self, activity_id: uuid.UUID) -> Activity | None:
        return await self.session.get(Activity, activity_id)

    async def lock(self, activity_id: uuid.UUID) -> Row[Any] | None:
        """The activity row, locked until commit: enrolments of one activity run one at a time."""
        statement = select(ACTIVITY).where(ACTIVITY.c.id == activity_id).with_for_update()
        return (await self.session.execute(statement)).first()

    async def active_enrollment(self, activity_id: uuid.UUID, subject: str) -> Row[Any] | None:
        statement = select(ENROLLMENT).where(
            ENROLLMENT.c.activity_id == activity_id, ENROLLMENT.c.subject == subject, ENROLLMENT.c.status != "cancelled"
        )
        return (await self.session.execute(statement)).first()

    async def insert_enrollment(self, values: dict[str, Any]) -> Any:
        return (await self.session.execute(insert(ENROLLMENT).values(values).returning(ENROLLMENT))).one()

    async def change_count(self, activity_id: uuid.UUID, delta: int) -> None:
        await self.session.execute(
            update(ACTIVITY)
            .where(ACTIVITY.c.id == activity_id)
            .values(enrolled_count=ACTIVITY.c.enrolled_count + delta)
        )

    async def set_status(self, enrollment_id: uuid.UUID, status: str, now: dt.datetime) -> None:
        await self.session.execute(
            update(ENROLLMENT).where(ENROLLMENT.c.id == enrollment_id).values(status=status, updated_at=now)
        )

    async def first_waitlisted(self, activity_id: uuid.UUID) -> Row[Any] | None:
        statement = (
            select(ENROLLMENT)
            .where(ENROLLMENT.c.activity_id == activity_id, ENROLLMENT.c.status == "waitlisted")
            .order_by(ENROLLMENT.c.queue_position)
            .limit(1)
        )
        return (await self.session.execute(statement)).first()

    async def waitlist_position(self, activity_id: uuid.UUID, queue_position: int) -> int:
        statement = select(func.count()).where(
            ENROLLMENT.c.activity_id == activity_id,
            ENROLLMENT.c.status == "waitlisted",
            ENROLLMENT.c.queue_position <= queue_position,
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def enrollments(self, activity_id: uuid.UUID) -> list[Row[Any]]:
        statement = (
            select(ENROLLMENT)
            .where(ENROLLMENT.c.activity_id == activity_id, ENROLLMENT.c.status != "cancelled")
            .order_by(ENROLLMENT.c.queue_position)
        )
        return list((await self.session.execute(statement)).all())

    async def cancel_activity(self, activity_id: uuid.UUID, now: dt.datetime) -> Any:
        """Mark the (locked) activity cancelled and bump its version."""
        statement = (
            update(ACTIVITY)
            .where(ACTIVITY.c.id == activity_id)
            .values(cancelled_at=now, updated_at=now, version=ACTIVITY.c.version + 1)
            .returning(ACTIVITY)
        )
        return (await self.session.execute(statement)).one()

    async def claim_reminders(self, now: dt.datetime, ahead: dt.timedelta, limit: int) -> list[Row[Any]]:
        """Activities starting within `ahead` not yet reminded, marked reminded: each is claimed once.

        A racing job skips the rows this one locked, and `reminded_at IS NULL` is checked again on update.
        """
        due = (
            select(ACTIVITY.c.id)
            .where(
                ACTIVITY.c.reminded_at.is_(None),
                ACTIVITY.c.cancelled_at.is_(None),
                ACTIVITY.c.starts_at > now,
                ACTIVITY.c.starts_at <= now + ahead,
            )
            .order_by(ACTIVITY.c.starts_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(ACTIVITY)
            .where(ACTIVITY.c.id.in_(due.scalar_subquery()), ACTIVITY.c.reminded_at.is_(None))
            .values(reminded_at=now)
            .returning(ACTIVITY)
        )
        return list((await self.session.execute(statement)).all())

    async def subjects(self, activity_id: uuid.UUID, statuses: Sequence[str]) -> list[str]:
        """The subjects holding a seat (or a waiting-list place) in queue order."""
        statement = (
            select(ENROLLMENT.c.subject)
            .where(ENROLLMENT.c.activity_id == activity_id, ENROLLMENT.c.status.in_(statuses))
            .order_by(ENROLLMENT.c.queue_position)
        )
        return list((await self.session.execute(statement)).scalars())

    async def record(self, events: Sequence[OutboxEvent]) -> None:
        """Append domain events about activities to the outbox, in this transaction."""
        await record_events(self.session, platform_tables.outbox_event, events)

    async def page(
        self, *, community_ids: Sequence[uuid.UUID] | None, after: Sequence[Any] | None, limit: int
    ) -> list[Activity]:
        statement = select(Activity)
        if community_ids is not None:
            statement = statement.where(Activity.community_id.in_(community_ids))
        if after is not None:
            statement = statement.where(after_keyset([ACTIVITY.c.starts_at, ACTIVITY.c.id], after, [False, False]))
        statement = statement.order_by(Activity.starts_at, Activity.id).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def of_subject(
        self, subject: str, *, status: str | None, after: Sequence[Any] | None, limit: int
    ) -> list[Row[Any]]:
        """A person's enrolments, newest first, with their activity and (while waiting) their place in the queue."""
        ahead = ENROLLMENT.alias("ahead")
        position = (
            select(func.count())
            .where(
                ahead.c.activity_id == ENROLLMENT.c.activity_id,
                ahead.c.status == "waitlisted",
                ahead.c.queue_position <= ENROLLMENT.c.queue_position,
            )
            .scalar_subquery()
        )
        statement = (
            select(
                ENROLLMENT,
                ACTIVITY.c.title,
                ACTIVITY.c.starts_at,
                ACTIVITY.c.ends_at,
                ACTIVITY.c.place,
                ACTIVITY.c.cancelled_at.label("activity_cancelled_at"),
                case((ENROLLMENT.c.status == "waitlisted", position)).label("waitlist_position"),
            )
            .join(ACTIVITY, ACTIVITY.c.id == ENROLLMENT.c.activity_id)
            .where(ENROLLMENT.c.subject == subject)
        )
        if status is not None:
            statement = statement.where(ENROLLMENT.c.status == status)
        if after is not None:
            statement = statement.where(after_keyset([ENROLLMENT.c.created_at, ENROLLMENT.c.id], after, [True, True]))
        statement = statement.order_by(ENROLLMENT.c.created_at.desc(), ENROLLMENT.c.id.desc()).limit(limit)
        return list((await self.session.execute(statement)).all())
