"""SQL of the exports: each reads its rows through a server-side cursor, a batch at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Row, select

from service_requests.activities.models import Enrollment
from service_requests.requests.models import ServiceRequest
from service_requests.requests.repository import overdue_clause
from shared.uow import Repository

BATCH = 1000


class ExportRepository(Repository):
    async def _stream(self, statement: Any) -> AsyncIterator[Row[Any]]:
        result = await self.session.stream(statement.execution_options(yield_per=BATCH))
        async for row in result:
            yield row

    def requests(
        self, community_id: uuid.UUID, start: dt.datetime, end: dt.datetime, now: dt.datetime
    ) -> AsyncIterator[Row[Any]]:
        """The community's requests created in [start, end), oldest first, with deadlines and ratings."""
        statement = (
            select(
                ServiceRequest.id,
                ServiceRequest.type_snapshot["name_zh"].astext.label("type_name"),
                ServiceRequest.category,
                ServiceRequest.scenario,
                ServiceRequest.enterprise_id,
                ServiceRequest.status,
                ServiceRequest.created_at,
                ServiceRequest.acknowledge_due_at,
                ServiceRequest.acknowledged_at,
                ServiceRequest.resolve_due_at,
                ServiceRequest.resolved_at,
                overdue_clause(now).label("overdue"),
                ServiceRequest.assignee_subject,
                ServiceRequest.rating,
                ServiceRequest.rating_comment,
                ServiceRequest.return_visited_at,
                ServiceRequest.follow_up_rating,
                ServiceRequest.description,
            )
            .where(
                ServiceRequest.community_id == community_id,
                ServiceRequest.created_at >= start,
                ServiceRequest.created_at < end,
            )
            .order_by(ServiceRequest.created_at, ServiceRequest.id)
        )
        return self._stream(statement)

    def roster(self, activity_id: uuid.UUID) -> AsyncIterator[Row[Any]]:
        """Seats, then the waiting list, each in queue order."""
        statement = (
            select(Enrollment.status, Enrollment.subject, Enrollment.enterprise_id, Enrollment.created_at)
            .where(Enrollment.activity_id == activity_id, Enrollment.status.in_(("enrolled", "waitlisted")))
            .order_by(Enrollment.status, Enrollment.queue_position)
        )
        return self._stream(statement)
