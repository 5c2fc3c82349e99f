"""Rules of the buildings domain: creation, edits, and effective-dated transfers."""

from __future__ import annotations

import uuid
from typing import Any

from registry.buildings.exceptions import BuildingNotFound, JurisdictionConflict, TransferInvalid
from registry.buildings.geo import gcj02_to_wgs84
from registry.buildings.models import Building
from registry.buildings.repository import BuildingRepository
from registry.buildings.schemas import (
    BatchTransferCreate,
    BuildingCreate,
    BuildingOut,
    BuildingUpdate,
    Jurisdiction,
    JurisdictionPeriod,
    Location,
    LocationIn,
    TransferCreate,
    TransferOut,
)
from registry.common import emit
from registry.communities.exceptions import CommunityNotFound
from registry.communities.repository import CommunityRepository
from shared.auth import Identity
from shared.concurrency import check_version
from shared.dates import business_today
from shared.errors import ValidationFailed
from shared.i18n import Text
from shared.scope import require_staff
from shared.uow import UnitOfWork


def to_wgs84(location: LocationIn) -> tuple[float, float]:
    """Stored coordinates are WGS-84; GCJ-02 input is converted on the way in."""
    if location.datum == "gcj02":
        return gcj02_to_wgs84(location.lat, location.lon)
    return location.lat, location.lon


def to_out(building: Building, community_id: uuid.UUID | None) -> BuildingOut:
    location = None
    if building.latitude is not None and building.longitude is not None:
        location = Location(lat=building.latitude, lon=building.longitude)
    return BuildingOut(
        id=building.id,
        name=building.name,
        kind=building.kind,
        address=building.address,
        location=location,
        floors=building.floors,
        units=building.units,
        community_id=community_id,
        version=building.version,
        created_at=building.created_at,
        updated_at=building.updated_at,
    )


async def get(uow: UnitOfWork, building_id: uuid.UUID) -> BuildingOut:
    """A building with the community it belongs to today."""
    found = await uow.repository(BuildingRepository).get_with_community(building_id, business_today())
    if found is None:
        raise BuildingNotFound()
    return to_out(*found)


async def create(uow: UnitOfWork, identity: Identity, body: BuildingCreate) -> BuildingOut:
    """Register a building in a community from `valid_from`."""
    require_staff(identity, body.community_id)
    if await uow.repository(CommunityRepository).get(body.community_id) is None:
        raise CommunityNotFound(errors=[{"detail": "no such community", "pointer": "/community_id"}])
    latitude, longitude = to_wgs84(body.location) if body.location else (None, None)
    building = await uow.repository(BuildingRepository).add(
        Building(
            name=body.name,
            kind=body.kind,
            address=body.address,
            latitude=latitude,
            longitude=longitude,
            floors=body.floors,
            units=body.units,
        ),
    )
    await uow.repository(BuildingRepository).add_period(building.id, body.community_id, body.valid_from, "registered")
    await emit(
        uow,
        "BuildingRegistered",
        "building",
        building.id,
        {
            "building_id": str(building.id),
            "community_id": str(body.community_id),
            "valid_from": body.valid_from.isoformat(),
        },
    )
    today = business_today()
    return to_out(building, body.community_id if body.valid_from <= today else None)


async def update(
    uow: UnitOfWork, identity: Identity, building_id: uuid.UUID, expected_version: int, body: BuildingUpdate
) -> BuildingOut:
    """Change the fields sent; staff of the building's community today only."""
    found = await uow.repository(BuildingRepository).get_with_community(building_id, business_today())
    if found is None:
        raise BuildingNotFound()
    building, community_id = found
    require_staff(identity, community_id)
    check_version(expected_version, building.version)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "location" in changes:
        location = body.location
        building.latitude, building.longitude = to_wgs84(location) if location else (None, None)
        del changes["location"]
    for field, value in changes.items():
        if value is None and field in ("name", "kind", "address"):
            raise ValidationFailed(errors=[{"detail": "may not be null", "pointer": f"/{field}"}])
        setattr(building, field, value)
    await uow.flush()
    return to_out(building, community_id)


async def jurisdiction(uow: UnitOfWork, building_id: uuid.UUID) -> Jurisdiction:
    """Every period of the building's history, oldest first."""
    if await uow.repository(BuildingRepository).get(building_id) is None:
        raise BuildingNotFound()
    periods = await uow.repository(BuildingRepository).history(building_id)
    return Jurisdiction(
        building_id=building_id,
        items=[
            JurisdictionPeriod(
                community_id=row.community_id,
                valid_from=row.during.lower,
                valid_to=row.during.upper,
                reason=row.reason,
            )
            for row in periods
        ],
    )


async def _transfer_one(
    uow: UnitOfWork, identity: Identity, building_id: uuid.UUID, body: TransferCreate, pointer: str
) -> TransferOut:
    # The building row lock serialises transfers of one building, so the open period read next is
    # the one this transfer closes (and the same-community check below sees the latest move).
    if await uow.repository(BuildingRepository).get(building_id, for_update=True) is None:
        raise BuildingNotFound(errors=[{"detail": "no such building", "pointer": pointer}])
    current = await uow.repository(BuildingRepository).open_period(building_id)
    if current is None:
        raise JurisdictionConflict(Text("该楼宇没有当前归属", "The building has no open jurisdiction period"))
    require_staff(identity, current.community_id)
    if current.community_id == body.to_community_id:
        raise TransferInvalid(
            Text("楼宇已属于目标社区", "The building already belongs to that community"),
            errors=[{"detail": "same community", "pointer": "/to_community_id"}],
        )
    started = current.during.lower
    assert started is not None
    if body.effective_on <= started:
        raise JurisdictionConflict(
            Text(
                f"生效日期须晚于当前归属开始日 {started.isoformat()}",
                f"effective_on must be after the current period's start ({started.isoformat()})",
            ),
            errors=[{"detail": "overlaps the recorded history", "pointer": "/effective_on"}],
        )
    from_community_id = await uow.repository(BuildingRepository).close_open_period(building_id, body.effective_on)
    if from_community_id is None:  # a concurrent transfer closed it first
        raise JurisdictionConflict(Text("楼宇归属已被同时修改", "The jurisdiction was changed concurrently"))
    await uow.repository(BuildingRepository).add_period(
        building_id, body.to_community_id, body.effective_on, body.reason, from_community_id
    )
    transfer = TransferOut(
        building_id=building_id,
        from_community_id=from_community_id,
        to_community_id=body.to_community_id,
        effective_on=body.effective_on,
        reason=body.reason,
    )
    await emit(uow, "BuildingTransferred", "building", building_id, transfer.model_dump(mode="json"))
    return transfer


async def _target(uow: UnitOfWork, identity: Identity, community_id: uuid.UUID) -> None:
    require_staff(identity, community_id)
    if await uow.repository(CommunityRepository).get(community_id) is None:
        raise CommunityNotFound(errors=[{"detail": "no such community", "pointer": "/to_community_id"}])


async def transfer(uow: UnitOfWork, identity: Identity, building_id: uuid.UUID, body: TransferCreate) -> TransferOut:
    """Close the open period the day before `effective_on` and open one in the new community."""
    await _target(uow, identity, body.to_community_id)
    return await _transfer_one(uow, identity, building_id, body, "/building_id")


async def transfer_many(uow: UnitOfWork, identity: Identity, body: BatchTransferCreate) -> list[TransferOut]:
    """Transfer several buildings in one transaction: all move, or none does."""
    await _target(uow, identity, body.to_community_id)
    results: dict[uuid.UUID, TransferOut] = {}
    # A fixed lock order keeps two overlapping batches from deadlocking.
    for building_id in sorted(body.building_ids):
        index = body.building_ids.index(building_id)
        results[building_id] = await _transfer_one(uow, identity, building_id, body, f"/building_ids/{index}")
    return [results[building_id] for building_id in body.building_ids]
