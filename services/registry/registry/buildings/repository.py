"""SQL of the buildings domain."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ScalarSelect, func, select, update
from sqlalchemy.orm import aliased

from registry.buildings.models import Building, BuildingJurisdiction
from registry.common import after_row
from registry.common import period as date_period
from shared.uow import Repository


def community_on(building_id: Any, on: dt.date) -> ScalarSelect[uuid.UUID]:
    """Correlated subquery: the community a building belongs to on a date."""
    period = aliased(BuildingJurisdiction)
    return (
        select(period.community_id)
        .where(period.building_id == building_id, period.during.contains(on))
        .correlate_except(period)
        .scalar_subquery()
    )


class BuildingRepository(Repository):
    """Buildings and their dated jurisdiction periods."""

    async def get(self, building_id: uuid.UUID, *, for_update: bool = False) -> Building | None:
        statement = select(Building).where(Building.id == building_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def get_with_community(self, building_id: uuid.UUID, on: dt.date) -> tuple[Building, uuid.UUID | None] | None:
        row = (
            await self.session.execute(
                select(Building, community_on(Building.id, on)).where(Building.id == building_id)
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def communities_on(self, building_ids: Sequence[uuid.UUID], on: dt.date) -> dict[uuid.UUID, uuid.UUID]:
        """The community of each building on a date (buildings without one are absent)."""
        rows = await self.session.execute(
            select(BuildingJurisdiction.building_id, BuildingJurisdiction.community_id).where(
                BuildingJurisdiction.building_id.in_(building_ids), BuildingJurisdiction.during.contains(on)
            )
        )
        return {row.building_id: row.community_id for row in rows}

    async def in_community(
        self,
        community_id: uuid.UUID,
        as_of: dt.date,
        today: dt.date,
        limit: int,
        after: tuple[str, uuid.UUID] | None,
    ) -> list[tuple[Building, uuid.UUID | None]]:
        """Buildings of a community on `as_of`, by (name, id), with today's community of each."""
        statement = (
            select(Building, community_on(Building.id, today))
            .join(BuildingJurisdiction, BuildingJurisdiction.building_id == Building.id)
            .where(BuildingJurisdiction.community_id == community_id, BuildingJurisdiction.during.contains(as_of))
            .order_by(Building.name, Building.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(after_row((Building.name, Building.id), after))
        return [(row[0], row[1]) for row in await self.session.execute(statement)]

    async def history(self, building_id: uuid.UUID) -> list[BuildingJurisdiction]:
        rows = await self.session.execute(
            select(BuildingJurisdiction)
            .where(BuildingJurisdiction.building_id == building_id)
            .order_by(func.lower(BuildingJurisdiction.during))
        )
        return list(rows.scalars())

    async def open_period(self, building_id: uuid.UUID) -> BuildingJurisdiction | None:
        """The period with no end, if any."""
        rows = await self.session.execute(
            select(BuildingJurisdiction).where(
                BuildingJurisdiction.building_id == building_id, func.upper_inf(BuildingJurisdiction.during)
            )
        )
        return rows.scalar_one_or_none()

    async def close_open_period(self, building_id: uuid.UUID, end: dt.date) -> uuid.UUID | None:
        """End the open period the day before `end`; None when another transfer got there first."""
        result = await self.session.execute(
            update(BuildingJurisdiction)
            .where(
                BuildingJurisdiction.building_id == building_id,
                func.upper_inf(BuildingJurisdiction.during),
                func.lower(BuildingJurisdiction.during) < end,
            )
            .values(during=func.daterange(func.lower(BuildingJurisdiction.during), end, "[)"))
            .returning(BuildingJurisdiction.community_id)
            .execution_options(synchronize_session=False)
        )
        return result.scalar_one_or_none()

    async def add_period(
        self,
        building_id: uuid.UUID,
        community_id: uuid.UUID,
        valid_from: dt.date,
        reason: str | None,
        from_community_id: uuid.UUID | None = None,
    ) -> BuildingJurisdiction:
        row = BuildingJurisdiction(
            building_id=building_id,
            community_id=community_id,
            from_community_id=from_community_id,
            during=date_period(valid_from),
            reason=reason,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def add(self, building: Building) -> Building:
        self.session.add(building)
        await self.session.flush()
        return building
