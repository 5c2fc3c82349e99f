"""Emergency campaigns: every building of the community checks in daily through its grid's worker."""

from __future__ import annotations

import datetime as dt
import uuid

from grid.access import require_grid
from grid.campaigns.exceptions import CampaignEnded, CampaignNotFound, CampaignTooLong, CheckInDayInvalid
from grid.campaigns.models import Campaign, CampaignCheckIn
from grid.campaigns.repository import CampaignRepository
from grid.campaigns.schemas import (
    MAX_CAMPAIGN_DAYS,
    CampaignCreate,
    CampaignDay,
    CampaignEnd,
    CampaignRead,
    CampaignSummary,
    CampaignSummaryDay,
    CheckInCreate,
    CheckInRead,
    MissingBuilding,
)
from grid.campaigns.states import ACTIVE, ENDED
from grid.grids.exceptions import GridNotFound
from grid.grids.repository import AssignmentRepository, GridRepository
from grid.inspections.exceptions import BuildingNotInGrid
from grid.outbox import emit
from grid.registry.client import RegistryClient
from shared.auth import Identity, Role
from shared.dates import business_today
from shared.errors import Forbidden
from shared.i18n import Text
from shared.scope import require_staff
from shared.uow import UnitOfWork


async def create_campaign(uow: UnitOfWork, identity: Identity, body: CampaignCreate) -> CampaignRead:
    require_staff(identity, body.community_id)
    campaign = await uow.repository(CampaignRepository).add(
        Campaign(**body.model_dump(), status=ACTIVE, created_by=identity.subject)
    )
    payload = {
        "campaign_id": str(campaign.id),
        "community_id": str(campaign.community_id),
        "title": campaign.name,
        "kind": campaign.kind,
        "starts_on": campaign.starts_on.isoformat(),
    }
    await emit(uow, "CampaignStarted", "campaign", campaign.id, payload)  # everyone in the community is told
    return CampaignRead.model_validate(campaign)


async def _worker_grids_in(uow: UnitOfWork, identity: Identity, community_id: uuid.UUID) -> set[uuid.UUID]:
    """The caller's grids (and their micro-grids' parents) that lie in the community."""
    if Role.grid_worker not in identity.roles:
        return set()
    grids = await uow.repository(GridRepository).get_many(identity.grid_ids)
    return {grid.id for grid in grids if grid.community_id == community_id}


async def load_campaign(
    uow: UnitOfWork, identity: Identity, campaign_id: uuid.UUID, *, for_update: bool = False
) -> Campaign:
    """Staff of the community, or grid workers with a grid in it."""
    campaign = await uow.repository(CampaignRepository).get(campaign_id, for_update=for_update)
    if campaign is None:
        raise CampaignNotFound()
    if not identity.staff_of(campaign.community_id) and not await _worker_grids_in(
        uow, identity, campaign.community_id
    ):
        raise Forbidden(Text("只能查看本社区的排查行动", "You may see only your community's campaigns"))
    return campaign


async def list_campaigns(uow: UnitOfWork, identity: Identity, community_id: uuid.UUID) -> list[CampaignRead]:
    if not identity.staff_of(community_id) and not await _worker_grids_in(uow, identity, community_id):
        require_staff(identity, community_id)
    campaigns = await uow.repository(CampaignRepository).list_for_community(community_id)
    return [CampaignRead.model_validate(campaign) for campaign in campaigns]


async def get_campaign(uow: UnitOfWork, identity: Identity, campaign_id: uuid.UUID) -> CampaignRead:
    """The campaign, with its summary once ended."""
    return CampaignRead.model_validate(await load_campaign(uow, identity, campaign_id))


async def check_in(uow: UnitOfWork, identity: Identity, campaign_id: uuid.UUID, body: CheckInCreate) -> CheckInRead:
    """A building's daily report, by a worker of the grid it belongs to that day (or staff)."""
    campaign = await load_campaign(uow, identity, campaign_id)
    if campaign.status != ACTIVE:
        raise CampaignEnded()
    day = body.day or business_today()
    if day < campaign.starts_on or day > business_today():
        raise CheckInDayInvalid(errors=[{"detail": "outside the campaign or in the future", "pointer": "/day"}])
    grid = await uow.repository(GridRepository).get(body.grid_id)
    if grid is None or grid.community_id != campaign.community_id:
        raise GridNotFound()
    require_grid(identity, grid.community_id, grid.id, grid.parent_id)
    if not await uow.repository(AssignmentRepository).covers(grid.id, body.building_id, day):
        raise BuildingNotInGrid(errors=[{"detail": "building not in the grid that day", "pointer": "/building_id"}])
    record = CampaignCheckIn(
        campaign_id=campaign.id,
        building_id=body.building_id,
        day=day,
        grid_id=grid.id,
        people_on_site=body.people_on_site,
        issues=body.issues,
        reported_by=identity.subject,
    )
    return CheckInRead.model_validate(await uow.repository(CampaignRepository).add_check_in(record))


async def day_status(
    uow: UnitOfWork, registry: RegistryClient, identity: Identity, campaign_id: uuid.UUID, day: dt.date
) -> CampaignDay:
    """Which buildings of the community have not reported on `day`; grid workers see their grids' share."""
    campaign = await load_campaign(uow, identity, campaign_id)
    buildings = await registry.community_buildings(campaign.community_id, day)
    repository = uow.repository(CampaignRepository)
    reports = await repository.check_ins(campaign.id, day)
    reported = {r.building_id for r in reports}
    grids_of = await repository.grids_of_buildings(campaign.community_id, [b.id for b in buildings], day)
    if not identity.staff_of(campaign.community_id):
        mine = await _worker_grids_in(uow, identity, campaign.community_id)
        grids = await uow.repository(GridRepository).get_many({grid_id for ids in grids_of.values() for grid_id in ids})
        visible = {g.id for g in grids if g.id in mine or (g.parent_id is not None and g.parent_id in mine)}
        buildings = [b for b in buildings if visible.intersection(grids_of.get(b.id, []))]
    missing = [
        MissingBuilding(building_id=b.id, name=b.name, grid_ids=sorted(grids_of.get(b.id, []), key=str))
        for b in buildings
        if b.id not in reported
    ]
    visible_ids = {b.id for b in buildings}
    counted = [r for r in reports if r.building_id in visible_ids]
    return CampaignDay(
        campaign_id=campaign.id,
        day=day,
        buildings_total=len(buildings),
        reported=len(buildings) - len(missing),
        missing=missing,
        people_on_site=sum(r.people_on_site for r in counted),
        issues_reported=sum(1 for r in counted if r.issues),
    )


MISSING_NOTICE_AT = dt.time(10, 0)  # CampaignCheckInMissing: a building has not reported by 10:00 Shanghai


async def notice_missing_check_ins(
    uow: UnitOfWork, campaign: Campaign, day: dt.date, building_ids: list[uuid.UUID], now: dt.datetime
) -> int:
    """CampaignCheckInMissing once per building of `building_ids` still without a check-in on `day`."""
    repository = uow.repository(CampaignRepository)
    missing = await repository.claim_missing(campaign.id, day, building_ids, now)
    grids_of = await repository.grids_of_buildings(campaign.community_id, missing, day)
    for building_id in missing:
        payload = {
            "campaign_id": str(campaign.id),
            "community_id": str(campaign.community_id),
            "building_id": str(building_id),
            "grid_ids": sorted(str(grid_id) for grid_id in grids_of.get(building_id, [])),
            "day": day.isoformat(),
            "title": campaign.name,
            "kind": campaign.kind,
        }
        await emit(uow, "CampaignCheckInMissing", "campaign", campaign.id, payload)
    return len(missing)


async def end_campaign(
    uow: UnitOfWork, registry: RegistryClient, identity: Identity, campaign_id: uuid.UUID, body: CampaignEnd
) -> CampaignRead:
    """End the campaign on `ends_on` and keep its summary: per day, reported vs expected buildings."""
    campaign = await load_campaign(uow, identity, campaign_id, for_update=True)
    require_staff(identity, campaign.community_id)
    if campaign.status != ACTIVE:
        raise CampaignEnded()
    if body.ends_on < campaign.starts_on:
        raise CheckInDayInvalid(errors=[{"detail": "ends before it starts", "pointer": "/ends_on"}])
    if body.ends_on > business_today():
        raise CampaignTooLong(errors=[{"detail": "must not be after today", "pointer": "/ends_on"}])
    if (body.ends_on - campaign.starts_on).days + 1 > MAX_CAMPAIGN_DAYS:
        detail = f"at most {MAX_CAMPAIGN_DAYS} days after starts_on"
        raise CampaignTooLong(errors=[{"detail": detail, "pointer": "/ends_on"}])
    totals = {
        day: (count, people, issues)
        for day, count, people, issues in await uow.repository(CampaignRepository).daily_totals(campaign.id)
    }
    days: list[CampaignSummaryDay] = []
    # one registry call for the whole (bounded) range, not one a day
    expected_on = await registry.building_counts(campaign.community_id, campaign.starts_on, body.ends_on)
    day = campaign.starts_on
    while day <= body.ends_on:
        count, people, issues = totals.get(day, (0, 0, 0))
        days.append(
            CampaignSummaryDay(
                day=day, expected=expected_on.get(day, 0), reported=count, people_on_site=people, issues=issues
            )
        )
        day += dt.timedelta(days=1)
    expected_total = sum(d.expected for d in days)
    reported_total = sum(d.reported for d in days)
    summary = CampaignSummary(
        days=days,
        expected_check_ins=expected_total,
        check_ins=reported_total,
        completion=round(reported_total / expected_total, 4) if expected_total else None,
        issues=sum(d.issues for d in days),
        peak_people_on_site=max((d.people_on_site for d in days), default=0),
    )
    campaign.summary = summary.model_dump(mode="json")
    campaign.ends_on = body.ends_on
    campaign.status = ENDED
    await uow.flush()
    return CampaignRead.model_validate(campaign)
