"""N-minute circles: parameters per community, and coverage weighted by employees."""

from __future__ import annotations

import datetime as dt
import uuid

from grid.circles.exceptions import FacilityNotFound
from grid.circles.models import Facility
from grid.circles.repository import CircleRepository
from grid.circles.schemas import (
    KINDS,
    BuildingCoverage,
    Circle,
    CircleRead,
    CircleUpdate,
    CoverageMethod,
    CoverageReport,
    FacilityCreate,
    FacilityKind,
    FacilityRead,
    FacilityUpdate,
    KindCoverage,
    NearestFacility,
)
from grid.registry.client import RegistryClient
from shared.auth import Identity, Role
from shared.concurrency import check_version
from shared.scope import require_staff
from shared.uow import UnitOfWork

DEFAULT_MINUTES: dict[FacilityKind, int] = {"life": 15, "medical": 15, "fitness": 10, "reading": 10}
DEFAULT_SPEED_KMH = 4.5
DEFAULT_DETOUR = 1.3


def walking_minutes(distance_m: float, circle: Circle) -> float:
    """Straight-line metres → walking minutes: distance × detour factor ÷ speed."""
    return distance_m * circle.detour_factor / (circle.walking_speed_kmh * 1000 / 60)


async def create_facility(uow: UnitOfWork, identity: Identity, body: FacilityCreate) -> FacilityRead:
    require_staff(identity, body.community_id)
    facility = await uow.repository(CircleRepository).add_facility(Facility(**body.model_dump()))
    return FacilityRead.model_validate(facility)


async def _load_facility(uow: UnitOfWork, facility_id: uuid.UUID, *, for_update: bool = False) -> Facility:
    facility = await uow.repository(CircleRepository).facility(facility_id, for_update=for_update)
    if facility is None:
        raise FacilityNotFound()
    return facility


async def get_facility(uow: UnitOfWork, facility_id: uuid.UUID) -> FacilityRead:
    return FacilityRead.model_validate(await _load_facility(uow, facility_id))


async def update_facility(
    uow: UnitOfWork, identity: Identity, facility_id: uuid.UUID, expected_version: int, body: FacilityUpdate
) -> FacilityRead:
    """Rename, move or change opening hours: staff of its community, at the version they read."""
    facility = await _load_facility(uow, facility_id, for_update=True)
    require_staff(identity, facility.community_id)
    check_version(expected_version, facility.version)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None or field in ("sub_kind", "opening_hours"):
            setattr(facility, field, value)
    await uow.flush()
    return FacilityRead.model_validate(facility)


async def list_facilities(
    uow: UnitOfWork, community_id: uuid.UUID, kind: str | None, after: tuple[str, uuid.UUID] | None, limit: int
) -> list[FacilityRead]:
    rows = await uow.repository(CircleRepository).facilities(community_id, kind, after, limit)
    return [FacilityRead.model_validate(row) for row in rows]


async def circles(uow: UnitOfWork, community_id: uuid.UUID) -> list[CircleRead]:
    """The community's four circles, defaults where it set nothing."""
    saved = {s.kind: s for s in await uow.repository(CircleRepository).settings(community_id)}
    result = []
    for kind in KINDS:
        setting = saved.get(kind)
        circle = Circle(
            kind=kind,
            minutes=setting.minutes if setting else DEFAULT_MINUTES[kind],
            walking_speed_kmh=setting.walking_speed_kmh if setting else DEFAULT_SPEED_KMH,
            detour_factor=setting.detour_factor if setting else DEFAULT_DETOUR,
        )
        result.append(CircleRead(**circle.model_dump(), straight_line_reach_m=round(circle.reach_m, 1)))
    return result


async def save_circle(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, kind: FacilityKind, body: CircleUpdate
) -> list[CircleRead]:
    require_staff(identity, community_id)
    await uow.repository(CircleRepository).save_setting(
        community_id, kind, body.minutes, body.walking_speed_kmh, body.detour_factor
    )
    return await circles(uow, community_id)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def coverage(
    uow: UnitOfWork, registry: RegistryClient, identity: Identity, community_id: uuid.UUID, as_of: dt.date
) -> CoverageReport:
    """Per building the nearest facility of each kind; per circle the share of employees inside it."""
    if not identity.staff_of(community_id) and not identity.has(Role.grid_worker):
        require_staff(identity, community_id)
    buildings = await registry.community_buildings(community_id, as_of)
    headcounts = await registry.headcounts(community_id, as_of)
    located = [b for b in buildings if b.location is not None]
    repository = uow.repository(CircleRepository)
    circle_list = await circles(uow, community_id)
    by_kind = {c.kind: c for c in circle_list}
    nearest = await repository.nearest(
        [(b.id, b.location.lat, b.location.lon) for b in located if b.location is not None], KINDS
    )
    found: dict[uuid.UUID, dict[FacilityKind, NearestFacility | None]] = {b.id: {} for b in located}
    for row in nearest:
        kind: FacilityKind = row.kind  # type: ignore[assignment]
        if row.facility_id is None or row.distance_m is None or row.name is None:
            found[row.building_id][kind] = None
            continue
        minutes = walking_minutes(row.distance_m, by_kind[kind])
        found[row.building_id][kind] = NearestFacility(
            facility_id=row.facility_id,
            name=row.name,
            distance_m=round(row.distance_m, 1),
            minutes=round(minutes, 2),
            inside=minutes <= by_kind[kind].minutes,
        )
    report_buildings = [
        BuildingCoverage(
            building_id=b.id,
            name=b.name,
            employees=headcounts[b.id].employees if b.id in headcounts else 0,
            nearest={kind: found[b.id].get(kind) for kind in KINDS},
        )
        for b in located
    ]
    summary: dict[FacilityKind, KindCoverage] = {}
    employees_total = sum(b.employees for b in report_buildings)
    for kind in KINDS:
        inside = [b for b in report_buildings if (n := b.nearest[kind]) is not None and n.inside]
        employees_inside = sum(b.employees for b in inside)
        inside_ids = {b.building_id for b in inside}
        summary[kind] = KindCoverage(
            buildings_total=len(report_buildings),
            buildings_inside=len(inside),
            employees_total=employees_total,
            employees_inside=employees_inside,
            share_by_employees=_share(employees_inside, employees_total),
            share_by_buildings=_share(len(inside), len(report_buildings)),
            outside_building_ids=[b.building_id for b in report_buildings if b.building_id not in inside_ids],
        )
    method = CoverageMethod(
        distance="great-circle distance between WGS-84 points on a sphere "
        "(PostgreSQL earthdistance: earth_distance(ll_to_earth(lat, lon), ...)); nearest facility of each kind "
        "from every community",
        earth_radius_m=await repository.earth_radius(),
        minutes="distance_m × detour_factor ÷ (walking_speed_kmh × 1000 ÷ 60); inside when ≤ the circle's minutes",
        weights="employees per building from the registry's headcounts on as_of; "
        "share_by_employees = employees inside ÷ employees of located buildings",
        facilities="every facility of the kind, whichever community registered it",
        as_of=as_of,
    )
    return CoverageReport(
        community_id=community_id,
        method=method,
        circles=circle_list,
        coverage=summary,
        buildings=report_buildings,
        buildings_without_location=[b.id for b in buildings if b.location is None],
    )
