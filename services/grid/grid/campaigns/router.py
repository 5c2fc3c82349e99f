"""`/v1/grids/campaigns`: emergency check campaigns with daily building check-ins."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from grid.campaigns import service
from grid.campaigns.schemas import (
    CampaignCreate,
    CampaignDay,
    CampaignEnd,
    CampaignRead,
    CheckInCreate,
    CheckInRead,
)
from grid.registry.dependencies import RegistryDep
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import set_etag
from shared.dates import business_today
from shared.errors import problem_responses
from shared.iso import IsoDate
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/grids/campaigns", tags=["campaigns"])

STAFF = (Role.platform_admin, Role.community_staff)
FIELD = (*STAFF, Role.grid_worker)


@router.post(
    "",
    status_code=201,
    summary="Start an emergency check campaign",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(422),
)
async def start_campaign(body: CampaignCreate, uow: UnitOfWorkDep, identity: CurrentIdentity) -> CampaignRead:
    """From `starts_on`, every building of the community checks in daily."""
    return await service.create_campaign(uow, identity, body)


@router.get("", summary="A community's campaigns", dependencies=[allow(*FIELD)])
async def list_campaigns(uow: UnitOfWorkDep, identity: CurrentIdentity, community_id: uuid.UUID) -> list[CampaignRead]:
    """Newest first."""
    return await service.list_campaigns(uow, identity, community_id)


@router.get("/{campaign_id}", summary="One campaign", dependencies=[allow(*FIELD)], responses=problem_responses(404))
async def get_campaign(
    campaign_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> CampaignRead:
    """The campaign, with its summary once ended."""
    campaign = await service.get_campaign(uow, identity, campaign_id)
    set_etag(response, campaign.version)
    return campaign


@router.post(
    "/{campaign_id}/check-ins",
    status_code=201,
    summary="A building's daily check-in",
    dependencies=[allow(*FIELD)],
    responses=problem_responses(404, 409, 422),
)
async def check_in(
    campaign_id: uuid.UUID, body: CheckInCreate, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> CheckInRead:
    """People on site and issues found; one per building and day (a second one is 409)."""
    return await service.check_in(uow, identity, campaign_id, body)


@router.get(
    "/{campaign_id}/today",
    summary="Which buildings have not reported today",
    dependencies=[allow(*FIELD)],
    responses=problem_responses(404, 503),
)
async def today(
    campaign_id: uuid.UUID,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    registry: RegistryDep,
    day: IsoDate | None = None,
) -> CampaignDay:
    """Buildings of the community (per the registry) without a check-in for `day` (default today)."""
    return await service.day_status(uow, registry, identity, campaign_id, day or business_today())


@router.post(
    "/{campaign_id}/end",
    summary="End a campaign with its summary",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(404, 409, 422),
)
async def end_campaign(
    campaign_id: uuid.UUID, body: CampaignEnd, uow: UnitOfWorkDep, identity: CurrentIdentity, registry: RegistryDep
) -> CampaignRead:
    """Per day: buildings expected, reported, people on site and issues; overall completion."""
    return await service.end_campaign(uow, registry, identity, campaign_id, body)
