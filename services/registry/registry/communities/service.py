"""Rules of the communities domain."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.buildings import repository as buildings_repository
from registry.buildings.schemas import BuildingOut
from registry.buildings.service import to_out as building_out
from registry.common import business_today, emit, require_staff
from registry.communities import repository
from registry.communities.exceptions import CommunityCodeTaken, CommunityInUse, CommunityNotFound
from registry.communities.models import Community
from registry.communities.schemas import (
    BuildingHeadcount,
    CommunityCreate,
    CommunityOut,
    CommunityStats,
    CommunityUpdate,
    Headcounts,
    Roll,
    RollEntry,
)
from shared.auth import Identity
from shared.concurrency import check_version
from shared.errors import ValidationFailed
from shared.i18n import Text

REQUIRED = ("name_zh", "name_en", "type", "street", "governance_bodies")


async def get(session: AsyncSession, community_id: uuid.UUID) -> Community:
    community = await repository.get(session, community_id)
    if community is None:
        raise CommunityNotFound()
    return community


async def read(connection: Any, community_id: uuid.UUID) -> CommunityOut:
    """One community with its governance bodies, in one autocommitted statement."""
    found = await repository.document(connection, community_id)
    if found is None:
        raise CommunityNotFound()
    return CommunityOut.model_validate_json(found)


async def listing(
    session: AsyncSession, *, type_: str | None, street: str | None, limit: int, after: tuple[str, uuid.UUID] | None
) -> list[CommunityOut]:
    """Communities by code, filtered by type and street."""
    rows = await repository.listing(session, type_=type_, street=street, limit=limit, after=after)
    return [CommunityOut.model_validate(row) for row in rows]


async def create(session: AsyncSession, body: CommunityCreate) -> CommunityOut:
    """Register a community; its code is unique and never reused."""
    if await repository.by_code(session, body.code) is not None:
        raise CommunityCodeTaken(errors=[{"detail": "code already used", "pointer": "/code"}])
    values = body.model_dump(mode="json")
    values["established_on"] = body.established_on
    community = await repository.add(session, Community(**values))
    await emit(
        session,
        "CommunityRegistered",
        "community",
        community.id,
        {"community_id": str(community.id), "code": community.code, "name_zh": community.name_zh},
    )
    return CommunityOut.model_validate(community)


async def update(
    session: AsyncSession, identity: Identity, community_id: uuid.UUID, expected_version: int, body: CommunityUpdate
) -> CommunityOut:
    """Change the fields sent; admins and the community's own staff."""
    require_staff(identity, community_id)
    community = await get(session, community_id)
    check_version(expected_version, community.version)
    sent = body.model_dump(exclude_unset=True)
    dumped: dict[str, Any] = body.model_dump(mode="json", include=set(sent))
    for field in sent:
        if dumped[field] is None and field in REQUIRED:
            raise ValidationFailed(errors=[{"detail": "may not be null", "pointer": f"/{field}"}])
        setattr(community, field, getattr(body, field) if field == "established_on" else dumped[field])
    await session.flush()
    return CommunityOut.model_validate(community)


async def delete(session: AsyncSession, community_id: uuid.UUID) -> None:
    """Delete a community that never had a building (a mistaken entry)."""
    community = await get(session, community_id)
    if await repository.has_buildings_ever(session, community_id):
        raise CommunityInUse(
            Text("有楼宇归属历史的社区不能删除", "A community with building history cannot be deleted")
        )
    await repository.delete(session, community)


async def buildings(
    session: AsyncSession, community_id: uuid.UUID, as_of: dt.date, limit: int, after: tuple[str, uuid.UUID] | None
) -> list[BuildingOut]:
    """Buildings that belonged to the community on `as_of`."""
    await get(session, community_id)
    rows = await buildings_repository.in_community(session, community_id, as_of, business_today(), limit, after)
    return [building_out(building, today) for building, today in rows]


async def roll(session: AsyncSession, community_id: uuid.UUID, as_of: dt.date) -> Roll:
    """The enterprises of the community on a date (the elections' voter roll)."""
    await get(session, community_id)
    rows = await repository.roll(session, community_id, as_of)
    return Roll(
        community_id=community_id,
        as_of=as_of,
        items=[
            RollEntry(
                enterprise_id=row.enterprise_id,
                uscc=row.uscc,
                name=row.name,
                representative_subject=row.representative_subject,
            )
            for row in rows
        ],
    )


async def headcounts(session: AsyncSession, community_id: uuid.UUID, as_of: dt.date) -> Headcounts:
    """Active enterprises and employees per building of the community on a date."""
    await get(session, community_id)
    rows = await repository.headcounts(session, community_id, as_of)
    return Headcounts(
        community_id=community_id,
        as_of=as_of,
        items=[
            BuildingHeadcount(building_id=row.building_id, enterprises=row.enterprises, employees=row.employees)
            for row in rows
        ],
    )


async def stats(session: AsyncSession, community_id: uuid.UUID, as_of: dt.date) -> CommunityStats:
    """The community's figures on a date, aggregated in SQL."""
    await get(session, community_id)
    row = await repository.stats(session, community_id, as_of)
    return CommunityStats(
        community_id=community_id,
        as_of=as_of,
        buildings=row.buildings,
        buildings_by_kind=row.buildings_by_kind,
        active_enterprises=row.active_enterprises,
        employees=row.employees,
        average_age=row.average_age,
        enterprises_by_industry_section=row.enterprises_by_industry_section,
    )
