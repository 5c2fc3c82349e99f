"""SQL for campaigns and check-ins."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import ARRAY, Uuid, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert

from grid.campaigns.models import Campaign, CampaignCheckIn, MissingCheckInNotice
from grid.campaigns.states import ACTIVE
from grid.grids.models import GridAssignment
from shared.uow import Repository


class CampaignRepository(Repository):
    async def add(self, campaign: Campaign) -> Campaign:
        self.session.add(campaign)
        await self.session.flush()
        return campaign

    async def get(self, campaign_id: uuid.UUID, *, for_update: bool = False) -> Campaign | None:
        return await self.session.get(Campaign, campaign_id, with_for_update=for_update or None)

    async def list_for_community(self, community_id: uuid.UUID) -> Sequence[Campaign]:
        statement = (
            select(Campaign)
            .where(Campaign.community_id == community_id)
            .order_by(Campaign.starts_on.desc(), Campaign.id)
        )
        return (await self.session.scalars(statement)).all()

    async def active_on(self, day: dt.date) -> Sequence[Campaign]:
        """Campaigns running on `day`."""
        statement = select(Campaign).where(
            Campaign.status == ACTIVE,
            Campaign.starts_on <= day,
            or_(Campaign.ends_on.is_(None), Campaign.ends_on >= day),
        )
        return (await self.session.scalars(statement.order_by(Campaign.starts_on, Campaign.id))).all()

    async def claim_missing(
        self, campaign_id: uuid.UUID, day: dt.date, building_ids: Sequence[uuid.UUID], now: dt.datetime
    ) -> list[uuid.UUID]:
        """The buildings without a check-in on `day` not yet noticed, each claimed once by its notice row."""
        if not building_ids:
            return []
        candidates = (
            select(
                literal(campaign_id, Uuid).label("campaign_id"),
                literal(day).label("day"),
                func.unnest(literal(list(building_ids), ARRAY(Uuid))).label("building_id"),
                literal(now).label("created_at"),
            )
        ).subquery()
        reported = select(CampaignCheckIn.id).where(
            CampaignCheckIn.campaign_id == campaign_id,
            CampaignCheckIn.day == day,
            CampaignCheckIn.building_id == candidates.c.building_id,
        )
        statement = (
            insert(MissingCheckInNotice)
            .from_select(
                ["campaign_id", "day", "building_id", "created_at"],
                select(candidates).where(~reported.exists()),
            )
            .on_conflict_do_nothing()
            .returning(MissingCheckInNotice.building_id)
        )
        return list((await self.session.scalars(statement)).all())

    async def add_check_in(self, check_in: CampaignCheckIn) -> CampaignCheckIn:
        self.session.add(check_in)
        await self.session.flush()
        return check_in

    async def check_ins(self, campaign_id: uuid.UUID, day: dt.date | None = None) -> Sequence[CampaignCheckIn]:
        statement = select(CampaignCheckIn).where(CampaignCheckIn.campaign_id == campaign_id)
        if day is not None:
            statement = statement.where(CampaignCheckIn.day == day)
        return (await self.session.scalars(statement.order_by(CampaignCheckIn.day))).all()

    async def daily_totals(self, campaign_id: uuid.UUID) -> list[tuple[dt.date, int, int, int]]:
        """Per day: check-ins, people on site, check-ins reporting issues."""
        statement = (
            select(
                CampaignCheckIn.day,
                func.count(),
                func.coalesce(func.sum(CampaignCheckIn.people_on_site), 0),
                func.count(CampaignCheckIn.issues),
            )
            .where(CampaignCheckIn.campaign_id == campaign_id)
            .group_by(CampaignCheckIn.day)
            .order_by(CampaignCheckIn.day)
        )
        return [(d, int(n), int(p), int(i)) for d, n, p, i in await self.session.execute(statement)]

    async def grids_of_buildings(
        self, community_id: uuid.UUID, building_ids: Collection[uuid.UUID], day: dt.date
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        if not building_ids:
            return {}
        statement = (
            select(GridAssignment.building_id, GridAssignment.grid_id)
            .where(
                GridAssignment.community_id == community_id,
                GridAssignment.building_id.in_(building_ids),
                GridAssignment.valid_from <= day,
                or_(GridAssignment.valid_to.is_(None), GridAssignment.valid_to > day),
            )
            .distinct()
        )
        found: dict[uuid.UUID, list[uuid.UUID]] = {}
        for building_id, grid_id in await self.session.execute(statement):
            found.setdefault(building_id, []).append(grid_id)
        return found
