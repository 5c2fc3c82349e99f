"""Rules of the communities domain."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from registry.buildings.repository import BuildingRepository
from registry.buildings.schemas import BuildingOut
from registry.buildings.service import to_out as building_out
from registry.common import emit
from registry.communities.exceptions import CommunityCodeTaken, CommunityInUse, CommunityNotFound, DateRangeInvalid
from registry.communities.models import Community
from registry.communities.repository import CommunityRepository
from registry.communities.schemas import (
    MAX_RANGE_DAYS,
    BuildingCounts,
    CommunityCreate,
    CommunityOut,
    CommunityStats,
    CommunityUpdate,
    DayBuildingCount,
    Headcounts,
    Roll,
)
from shared.auth import Identity
from shared.concurrency import check_version
from shared.dates import business_today
from shared.errors import ValidationFailed
from shared.exports import Cell, Export
from shared.i18n import Text
from shared.scope import require_staff
from shared.uow import UnitOfWork

REQUIRED = ("name_zh", "name_en", "type", "street", "governance_bodies")


async def _load(uow: UnitOfWork, community_id: uuid.UUID) -> Community:
    community = await uow.repository(CommunityRepository).get(community_id)
    if community is None:
        raise CommunityNotFound()
    return community


async def read(uow: UnitOfWork, community_id: uuid.UUID) -> CommunityOut:
    """One community with its governance bodies, in one autocommitted statement (the repository's
    hot path: the unit of work's session is never opened)."""
    found = await uow.repository(CommunityRepository).document(community_id)
    if found is None:
        raise CommunityNotFound()
    return CommunityOut.model_validate_json(found)


async def listing(
    uow: UnitOfWork, *, type_: str | None, street: str | None, limit: int, after: tuple[str, uuid.UUID] | None
) -> list[CommunityOut]:
    """Communities by code, filtered by type and street."""
    rows = await uow.repository(CommunityRepository).listing(type_=type_, street=street, limit=limit, after=after)
    return [CommunityOut.model_validate(row) for row in rows]


async def create(uow: UnitOfWork, body: CommunityCreate) -> CommunityOut:
    """Register a community; its code is unique and never reused."""
    if await uow.repository(CommunityRepository).by_code(body.code) is not None:
        raise CommunityCodeTaken(errors=[{"detail": "code already used", "pointer": "/code"}])
    values = body.model_dump(mode="json", exclude={"starter_catalogue"})
    values["established_on"] = body.established_on
    community = await uow.repository(CommunityRepository).add(Community(**values))
    await emit(
        uow,
        "CommunityRegistered",
        "community",
        community.id,
        {
            "community_id": str(community.id),
            "code": community.code,
            "name_zh": community.name_zh,
            # the catalogue applies its starter catalogue when this is present (docs/service-requests.md)
            "starter_catalogue": body.starter_catalogue.model_dump(mode="json") if body.starter_catalogue else None,
        },
    )
    return CommunityOut.model_validate(community)


async def update(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, expected_version: int, body: CommunityUpdate
) -> CommunityOut:
    """Change the fields sent; admins and the community's own staff."""
    require_staff(identity, community_id)
    community = await _load(uow, community_id)
    check_version(expected_version, community.version)
    sent = body.model_dump(exclude_unset=True)
    dumped: dict[str, Any] = body.model_dump(mode="json", include=set(sent))
    for field in sent:
        if dumped[field] is None and field in REQUIRED:
            raise ValidationFailed(errors=[{"detail": "may not be null", "pointer": f"/{field}"}])
        setattr(community, field, getattr(body, field) if field == "established_on" else dumped[field])
    await uow.flush()
    return CommunityOut.model_validate(community)


async def delete(uow: UnitOfWork, community_id: uuid.UUID) -> None:
    """Delete a community that never had a building (a mistaken entry)."""
    community = await _load(uow, community_id)
    if await uow.repository(CommunityRepository).has_buildings_ever(community_id):
        raise CommunityInUse(
            Text("有楼宇归属历史的社区不能删除", "A community with building history cannot be deleted")
        )
    await uow.repository(CommunityRepository).delete(community)


async def buildings(
    uow: UnitOfWork, community_id: uuid.UUID, as_of: dt.date, limit: int, after: tuple[str, uuid.UUID] | None
) -> list[BuildingOut]:
    """Buildings that belonged to the community on `as_of`."""
    await _load(uow, community_id)
    rows = await uow.repository(BuildingRepository).in_community(community_id, as_of, business_today(), limit, after)
    return [building_out(building, today) for building, today in rows]


async def roll(uow: UnitOfWork, community_id: uuid.UUID, as_of: dt.date) -> Roll:
    """The enterprises of the community on a date (the elections' voter roll)."""
    await _load(uow, community_id)
    items = await uow.repository(CommunityRepository).roll(community_id, as_of)
    return Roll(community_id=community_id, as_of=as_of, items=items)


async def headcounts(uow: UnitOfWork, community_id: uuid.UUID, as_of: dt.date) -> Headcounts:
    """Active enterprises and employees per building of the community on a date."""
    await _load(uow, community_id)
    items = await uow.repository(CommunityRepository).headcounts(community_id, as_of)
    return Headcounts(community_id=community_id, as_of=as_of, items=items)


async def stats(uow: UnitOfWork, community_id: uuid.UUID, as_of: dt.date) -> CommunityStats:
    """The community's figures on a date, aggregated in SQL."""
    await _load(uow, community_id)
    return await uow.repository(CommunityRepository).stats(community_id, as_of)


STATS_HEADERS = ("指标", "分项", "数值")


async def stats_export(uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, as_of: dt.date) -> Export:
    """The figures of `GET /v1/communities/{id}/stats` on `as_of` as rows of (metric, breakdown,
    value), talent totals included; the community's staff and admins (403 otherwise, 404 unknown)."""
    require_staff(identity, community_id)
    community = await _load(uow, community_id)
    figures = await uow.repository(CommunityRepository).stats(community_id, as_of)
    lines: list[Sequence[Cell]] = [
        ("统计日期", "", figures.as_of),
        ("楼宇总数", "", figures.buildings),
        ("在营企业数", "", figures.active_enterprises),
        ("从业人员数", "", figures.employees),
        ("从业人员平均年龄", "", figures.average_age),
        ("本科及以上学历人数", "", figures.graduates),
        ("高层次人才数", "", figures.high_level_talents),
    ]
    lines += [("按楼宇类型", kind, count) for kind, count in sorted(figures.buildings_by_kind.items())]
    sections = sorted(figures.enterprises_by_industry_section.items())
    lines += [("按行业门类", section, count) for section, count in sections]

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        for line in lines:
            yield line

    name = community.name_zh.replace("/", "_")
    return Export(filename=f"社区统计_{name}_{as_of}", headers=STATS_HEADERS, rows=rows(), sheet="社区统计")


async def building_counts(
    uow: UnitOfWork, community_id: uuid.UUID, starts_on: dt.date, ends_on: dt.date
) -> BuildingCounts:
    """The community's number of buildings on each day of a bounded range, in one query."""
    if ends_on < starts_on:
        raise DateRangeInvalid(errors=[{"detail": "ends before it starts", "parameter": "ends_on"}])
    if (ends_on - starts_on).days + 1 > MAX_RANGE_DAYS:
        detail = f"at most {MAX_RANGE_DAYS} days"
        raise DateRangeInvalid(errors=[{"detail": detail, "parameter": "ends_on"}])
    await _load(uow, community_id)
    rows = await uow.repository(CommunityRepository).building_counts(community_id, starts_on, ends_on)
    return BuildingCounts(
        community_id=community_id,
        starts_on=starts_on,
        ends_on=ends_on,
        items=[DayBuildingCount(day=day, buildings=count) for day, count in rows],
    )
