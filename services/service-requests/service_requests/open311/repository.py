"""SQL of the Open311 facade: active services, and requests with the spec's filters."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import distinct_on

from service_requests.catalogue.models import ServiceType
from service_requests.requests.models import RequestEvent, ServiceRequest
from service_requests.requests.repository import visible_to
from shared.auth import Identity
from shared.uow import Repository

PUBLIC_CATEGORY = "city"


class Open311Repository(Repository):
    async def services(self, community_id: uuid.UUID | None) -> list[ServiceType]:
        statement = select(ServiceType).where(ServiceType.active.is_(True))
        if community_id is not None:
            statement = statement.where(ServiceType.community_id == community_id)
        return list((await self.session.execute(statement.order_by(ServiceType.code, ServiceType.id))).scalars())

    async def service(self, type_id: uuid.UUID) -> ServiceType | None:
        return await self.session.get(ServiceType, type_id)

    async def requests(
        self,
        identity: Identity | None,
        *,
        ids: Sequence[uuid.UUID] | None,
        type_ids: Sequence[uuid.UUID] | None,
        statuses: Sequence[str] | None,
        start: dt.datetime | None,
        end: dt.datetime | None,
        limit: int,
    ) -> list[ServiceRequest]:
        # anonymous readers see city requests only: enterprise and employee services are the requester's business
        visible = visible_to(identity) if identity is not None else ServiceRequest.category == PUBLIC_CATEGORY
        filters: list[ColumnElement[bool]] = [visible]
        if ids is not None:
            filters.append(ServiceRequest.id.in_(ids))  # the spec: an id list overrides every other filter
        else:
            if type_ids is not None:
                filters.append(ServiceRequest.type_id.in_(type_ids))
            if statuses is not None:
                filters.append(ServiceRequest.status.in_(statuses))
            if start is not None:
                filters.append(ServiceRequest.created_at >= start)
            if end is not None:
                filters.append(ServiceRequest.created_at <= end)
        statement = select(ServiceRequest).where(*filters).order_by(ServiceRequest.created_at.desc()).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def last_notes(self, request_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The latest public transition reason of each request (its `status_notes`)."""
        if not request_ids:
            return {}
        statement = (
            select(RequestEvent.request_id, RequestEvent.body)
            .where(
                RequestEvent.request_id.in_(request_ids),
                RequestEvent.kind == "transition",
                RequestEvent.body.is_not(None),
            )
            .order_by(RequestEvent.request_id, RequestEvent.seq.desc())
            .ext(distinct_on(RequestEvent.request_id))
        )
        return {request_id: body or "" for request_id, body in (await self.session.execute(statement)).all()}
