"""SQL of the enterprises domain."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Text, exists, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from registry.buildings.models import BuildingJurisdiction
from registry.common import after_row, period
from registry.enterprises.models import Enterprise, EnterpriseStatusPeriod, Headcount, Occupancy
from shared.textsearch import like_fragment
from shared.uow import Repository


def fragment_grams(fragment: str) -> list[str]:
    """The grams a text must hold to contain `fragment`: the character itself, the pair, or every
    trigram of a longer fragment (rarer than its pairs, so the index hands over few candidates)."""
    size = 1 if len(fragment) == 1 else 2 if len(fragment) == 2 else 3
    return sorted({fragment[i : i + size] for i in range(len(fragment) - size + 1)})


def name_filter(fragment: str) -> list[ColumnElement[bool]]:
    """Conditions for names containing `fragment`, each backed by an index.

    Trigrams cannot index the 1-2 character fragments most Chinese searches are, so a GIN index
    holds every character, character pair and trigram of each name; the planner's per-gram statistics
    also estimate longer fragments far better than LIKE's. LIKE remains the exact check.
    Matches are paged by id, not name, so a page costs the same wherever they sit in name order.
    """
    grams = func.registry.enterprise_name_grams(Enterprise.name, type_=ARRAY(Text))
    return [grams.contains(fragment_grams(fragment)), Enterprise.name.like(like_fragment(fragment))]


class EnterpriseRepository(Repository):
    """Enterprises, their status periods, occupancies and headcounts."""

    async def represented_by_mobile(self, last_eleven: str) -> Sequence[Enterprise]:
        """Enterprises whose representative phone ends in these 11 digits, however it is spelled."""
        digits = func.right(func.regexp_replace(Enterprise.representative_phone, "[^0-9]", "", "g"), 11)
        query = select(Enterprise).where(Enterprise.representative_phone.is_not(None), digits == last_eleven)
        return (await self.session.scalars(query.order_by(Enterprise.id))).all()

    async def get(self, enterprise_id: uuid.UUID, *, for_update: bool = False) -> Enterprise | None:
        statement = select(Enterprise).where(Enterprise.id == enterprise_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def existing_usccs(self, usccs: Sequence[str]) -> set[str]:
        rows = await self.session.execute(select(Enterprise.uscc).where(Enterprise.uscc.in_(usccs)))
        return set(rows.scalars())

    async def communities_today(self, enterprise_id: uuid.UUID, today: dt.date) -> list[uuid.UUID]:
        """Communities in which the enterprise has a site today."""
        rows = await self.session.execute(
            select(BuildingJurisdiction.community_id)
            .join(Occupancy, Occupancy.building_id == BuildingJurisdiction.building_id)
            .where(
                Occupancy.enterprise_id == enterprise_id,
                Occupancy.during.contains(today),
                BuildingJurisdiction.during.contains(today),
            )
            .distinct()
            .order_by(BuildingJurisdiction.community_id)
        )
        return list(rows.scalars())

    async def owning_communities(self, enterprise_id: uuid.UUID, today: dt.date) -> list[uuid.UUID]:
        """Communities the enterprise belongs to: those of its sites not ended by today, each site's
        building taken on today or, for a site that starts later, on its first day."""
        on = func.greatest(func.lower(Occupancy.during), today)
        rows = await self.session.execute(
            select(BuildingJurisdiction.community_id)
            .join(Occupancy, Occupancy.building_id == BuildingJurisdiction.building_id)
            .where(
                Occupancy.enterprise_id == enterprise_id,
                func.upper_inf(Occupancy.during) | (func.upper(Occupancy.during) > today),
                BuildingJurisdiction.during.contains(on),
            )
            .distinct()
            .order_by(BuildingJurisdiction.community_id)
        )
        return list(rows.scalars())

    async def search(
        self,
        *,
        today: dt.date,
        name_fragment: str | None,
        uscc: str | None,
        industry_section: str | None,
        industry_code: str | None,
        status: str | None,
        building_id: uuid.UUID | None,
        community_id: uuid.UUID | None,
        limit: int,
        after: tuple[str, uuid.UUID] | None,
    ) -> list[Enterprise]:
        """Enterprises by (name, id), or by id when searching a name fragment (see `name_filter`)."""
        by_id = bool(name_fragment)
        order = (Enterprise.id,) if by_id else (Enterprise.name, Enterprise.id)
        statement = select(Enterprise).order_by(*order).limit(limit)
        if name_fragment:
            statement = statement.where(*name_filter(name_fragment))
            # A generic plan guesses the fragment's selectivity and may fetch every match of a common
            # one through the gram index; planning for the actual fragment picks the right index.
            await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        if uscc is not None:
            statement = statement.where(Enterprise.uscc == uscc)
        if industry_section is not None:
            statement = statement.where(Enterprise.industry_section == industry_section)
        if industry_code is not None:
            statement = statement.where(Enterprise.industry_code == industry_code)
        if status is not None:
            statement = statement.where(Enterprise.status == status)
        if building_id is not None:
            statement = statement.where(
                exists().where(
                    Occupancy.enterprise_id == Enterprise.id,
                    Occupancy.building_id == building_id,
                    Occupancy.during.contains(today),
                )
            )
        if community_id is not None:
            statement = statement.where(
                exists().where(
                    Occupancy.enterprise_id == Enterprise.id,
                    Occupancy.during.contains(today),
                    BuildingJurisdiction.building_id == Occupancy.building_id,
                    BuildingJurisdiction.community_id == community_id,
                    BuildingJurisdiction.during.contains(today),
                )
            )
        if after is not None:
            statement = statement.where(
                Enterprise.id > after[1] if by_id else after_row((Enterprise.name, Enterprise.id), after)
            )
        return list((await self.session.execute(statement)).scalars())

    async def add(self, enterprise: Enterprise) -> Enterprise:
        self.session.add(enterprise)
        await self.session.flush()
        return enterprise

    async def add_all(self, rows: Sequence[object]) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def add_status_period(
        self, enterprise_id: uuid.UUID, status: str, valid_from: dt.date
    ) -> EnterpriseStatusPeriod:
        row = EnterpriseStatusPeriod(enterprise_id=enterprise_id, status=status, during=period(valid_from))
        self.session.add(row)
        await self.session.flush()
        return row

    async def status_history(self, enterprise_id: uuid.UUID) -> list[EnterpriseStatusPeriod]:
        rows = await self.session.execute(
            select(EnterpriseStatusPeriod)
            .where(EnterpriseStatusPeriod.enterprise_id == enterprise_id)
            .order_by(func.lower(EnterpriseStatusPeriod.during))
        )
        return list(rows.scalars())

    async def open_status(self, enterprise_id: uuid.UUID) -> EnterpriseStatusPeriod | None:
        rows = await self.session.execute(
            select(EnterpriseStatusPeriod).where(
                EnterpriseStatusPeriod.enterprise_id == enterprise_id, func.upper_inf(EnterpriseStatusPeriod.during)
            )
        )
        return rows.scalar_one_or_none()

    async def close_open_status(self, enterprise_id: uuid.UUID, end: dt.date) -> bool:
        """End the open status period before `end`; False when a concurrent change got there first."""
        result = await self.session.execute(
            update(EnterpriseStatusPeriod)
            .where(
                EnterpriseStatusPeriod.enterprise_id == enterprise_id,
                func.upper_inf(EnterpriseStatusPeriod.during),
                func.lower(EnterpriseStatusPeriod.during) < end,
            )
            .values(during=func.daterange(func.lower(EnterpriseStatusPeriod.during), end, "[)"))
            .returning(EnterpriseStatusPeriod.id)
            .execution_options(synchronize_session=False)
        )
        return result.scalar_one_or_none() is not None

    async def occupancies(self, enterprise_id: uuid.UUID) -> list[Occupancy]:
        rows = await self.session.execute(
            select(Occupancy).where(Occupancy.enterprise_id == enterprise_id).order_by(func.lower(Occupancy.during))
        )
        return list(rows.scalars())

    async def occupancy(
        self, enterprise_id: uuid.UUID, occupancy_id: uuid.UUID, *, for_update: bool = False
    ) -> Occupancy | None:
        statement = select(Occupancy).where(Occupancy.id == occupancy_id, Occupancy.enterprise_id == enterprise_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def add_occupancy(self, occupancy: Occupancy) -> Occupancy:
        self.session.add(occupancy)
        await self.session.flush()
        return occupancy

    async def headcounts(self, enterprise_id: uuid.UUID) -> list[Headcount]:
        rows = await self.session.execute(
            select(Headcount).where(Headcount.enterprise_id == enterprise_id).order_by(Headcount.as_of.desc())
        )
        return list(rows.scalars())

    async def add_headcount(self, headcount: Headcount) -> Headcount:
        self.session.add(headcount)
        await self.session.flush()
        return headcount

    async def insert_bulk(
        self, enterprises: list[dict[str, Any]], statuses: list[dict[str, Any]], sites: list[dict[str, Any]]
    ) -> None:
        """Multi-row inserts of an import chunk (enterprises, their status periods, their sites)."""
        await self.session.execute(insert(Enterprise), enterprises)
        await self.session.execute(insert(EnterpriseStatusPeriod), statuses)
        if sites:
            await self.session.execute(insert(Occupancy), sites)
