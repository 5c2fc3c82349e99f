"""The grid's export routes (CSV or XLSX by `format`); mounted before the hazards, events and
inspections routers, whose `/{id}` paths would otherwise take `export`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from grid.exports import service
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
ERRORS = problem_responses(400, 403, 422)


@router.get(
    "/v1/hazards/export",
    summary="Export the hazard ledger",
    dependencies=[allow(*STAFF)],
    response_class=StreamingResponse,
    responses=export_responses("The hazard ledger (隐患台账), oldest first") | ERRORS,
)
async def export_hazards(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    from_date: From,
    to_date: To,
    export_format: Format,
) -> StreamingResponse:
    """Entries made in the range, streamed; over 366 days is 422 `EXPORT_RANGE_TOO_LONG`."""
    return export_response(await service.hazards(uow, identity, community_id, from_date, to_date), export_format)


@router.get(
    "/v1/grid-events/export",
    summary="Export grid events",
    dependencies=[allow(*STAFF)],
    response_class=StreamingResponse,
    responses=export_responses("Grid events with handler, deadline, supervision and evaluation") | ERRORS,
)
async def export_events(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    from_date: From,
    to_date: To,
    export_format: Format,
) -> StreamingResponse:
    """Events reported in the range, streamed; over 366 days is 422 `EXPORT_RANGE_TOO_LONG`."""
    return export_response(await service.events(uow, identity, community_id, from_date, to_date), export_format)


@router.get(
    "/v1/inspections/export",
    summary="Export inspections",
    dependencies=[allow(*STAFF)],
    response_class=StreamingResponse,
    responses=export_responses("Patrol visits with their number of findings") | ERRORS,
)
async def export_inspections(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    community_id: uuid.UUID,
    from_date: From,
    to_date: To,
    export_format: Format,
) -> StreamingResponse:
    """Visits made in the range, streamed; over 366 days is 422 `EXPORT_RANGE_TOO_LONG`."""
    return export_response(await service.inspections(uow, identity, community_id, from_date, to_date), export_format)
