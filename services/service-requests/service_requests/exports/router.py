"""Export routes (CSV or XLSX by `format`); mounted before the requests and activities routers,
whose `/{id}` paths would otherwise take `export`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from service_requests.exports import service
from shared.auth import CurrentIdentity, Role, allow
from shared.errors import problem_responses
from shared.exports import ExportFormat, export_response, export_responses
from shared.iso import IsoDate
from shared.uow import UnitOfWorkDep

router = APIRouter(tags=["exports"])

STAFF = (Role.platform_admin, Role.community_staff)
Format = Annotated[ExportFormat, Query(alias="format", description="`csv` (UTF-8 with BOM) or `xlsx`")]
From = Annotated[IsoDate, Query(alias="from", description="First Shanghai date, inclusive")]
To = Annotated[IsoDate, Query(alias="to", description="Last Shanghai date, inclusive; at most 366 days in all")]


@router.get(
    "/v1/service-requests/export",
    summary="Export service requests",
    dependencies=[allow(*STAFF)],
    response_class=StreamingResponse,
    responses=export_responses("The requests with deadlines and ratings") | problem_responses(400, 403, 422),
)
async def export_requests(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    from_date: From,
    to_date: To,
    export_format: Format,
) -> StreamingResponse:
    """The community's requests created in the range, oldest first, streamed; over 366 days is 422
    `EXPORT_RANGE_TOO_LONG`."""
    return export_response(await service.requests(uow, identity, community_id, from_date, to_date), export_format)


@router.get(
    "/v1/service-requests/stats/export",
    summary="Export a community's request statistics",
    dependencies=[allow(*STAFF)],
    response_class=StreamingResponse,
    responses=export_responses("One row per figure: metric, breakdown, value") | problem_responses(400, 403, 422),
)
async def export_statistics(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    from_date: From,
    to_date: To,
    export_format: Format,
) -> StreamingResponse:
    """The figures of `GET /v1/service-requests/stats` for the range, as a table."""
    return export_response(await service.statistics(uow, identity, community_id, from_date, to_date), export_format)


@router.get(
    "/v1/activities/{activity_id}/enrollments/export",
    summary="Export an activity's roster",
    dependencies=[allow(*STAFF)],
    response_class=StreamingResponse,
    responses=export_responses("Seats, then the waiting list in promotion order") | problem_responses(403, 404),
)
async def export_roster(
    activity_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, export_format: Format
) -> StreamingResponse:
    """Staff of the activity's community; others 404 (the activity is not theirs to see) or 403."""
    return export_response(await service.roster(uow, identity, activity_id), export_format)
