"""`/v1/working-calendar`: load and read the holiday table (platform admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from service_requests.calendar import service
from service_requests.calendar.schemas import CalendarOverview, CalendarYearBody, CalendarYearLoaded, CalendarYearRead
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import OptionalIfMatch, set_etag
from shared.db import utcnow
from shared.errors import problem_responses
from shared.iso import IntegerText
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/working-calendar", tags=["working-calendar"])
ADMINS = (Role.platform_admin,)
Year = Annotated[int, Path(ge=2000, le=2100, description="The calendar year"), IntegerText]


@router.get("", summary="Which years the working-day calendar covers", dependencies=[allow(*ADMINS)])
async def get_overview(uow: UnitOfWorkDep) -> CalendarOverview:
    """The package's years, the loaded tables, and whether next year is missing (from 1 November)."""
    return await service.overview(uow, service.shanghai_today())


@router.get(
    "/{year}",
    summary="One year's loaded table",
    dependencies=[allow(*ADMINS)],
    responses=problem_responses(404),
)
async def get_year(year: Year, uow: UnitOfWorkDep, response: Response) -> CalendarYearRead:
    """Holidays and make-up working days of a loaded year, with its `ETag`."""
    read = await service.read_year(uow, year)
    set_etag(response, read.version)
    return read


@router.put(
    "/{year}",
    summary="Load or replace a year's holidays and make-up working days",
    dependencies=[allow(*ADMINS)],
    status_code=201,
    responses={200: {"description": "Replaced (with `If-Match`)"}, **problem_responses(409, 412, 422)},
)
async def put_year(
    year: Year,
    body: CalendarYearBody,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    response: Response,
    expected_version: OptionalIfMatch,
) -> CalendarYearLoaded:
    """A new year loads without `If-Match`; a loaded one is 409 unless `If-Match` names its version.

    The open requests whose deadlines the change touches are recomputed in the same transaction.
    """
    loaded = await service.load_year(
        uow, body, loaded_by=identity.subject, now=utcnow(), expected_version=expected_version, path_year=year
    )
    set_etag(response, loaded.version)
    response.status_code = 201 if expected_version is None else 200
    return loaded
