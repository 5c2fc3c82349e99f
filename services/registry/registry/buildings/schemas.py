"""Request and response bodies of the buildings domain."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from registry.buildings.states import BuildingKind
from shared.field_messages import invalid
from shared.iso import IsoDate, IsoDateTime, JsonInt

__all__ = ["BuildingKind"]


class LocationIn(BaseModel):
    """A point; send `datum: "gcj02"` for coordinates copied from AMap/Tencent maps."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90, examples=[30.2096])
    lon: float = Field(ge=-180, le=180, examples=[120.2108])
    datum: Literal["wgs84", "gcj02"] = Field("wgs84", description="Stored as WGS-84 either way")


class Location(BaseModel):
    """WGS-84."""

    lat: float
    lon: float


class BuildingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["星耀城 1 幢"])
    kind: BuildingKind
    address: str = Field(min_length=1, max_length=300, examples=["杭州市滨江区江南大道 3850 号"])
    location: LocationIn | None = None
    floors: JsonInt | None = Field(None, ge=1, le=200)
    units: JsonInt | None = Field(None, ge=0, le=100_000)
    community_id: uuid.UUID = Field(description="The community it belongs to from `valid_from`")
    valid_from: IsoDate = Field(description="First day in that community")


class BuildingUpdate(BaseModel):
    """Only the fields sent change; jurisdiction changes through transfers."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    kind: BuildingKind | None = None
    address: str | None = Field(None, min_length=1, max_length=300)
    location: LocationIn | None = None
    floors: JsonInt | None = Field(None, ge=1, le=200)
    units: JsonInt | None = Field(None, ge=0, le=100_000)


class BuildingOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: BuildingKind
    address: str
    location: Location | None
    floors: int | None
    units: int | None
    community_id: uuid.UUID | None = Field(description="The community it belongs to today (Asia/Shanghai)")
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class JurisdictionPeriod(BaseModel):
    community_id: uuid.UUID
    valid_from: IsoDate
    valid_to: IsoDate | None = Field(description="Exclusive; null while it still belongs there")
    reason: str | None = None


class Jurisdiction(BaseModel):
    building_id: uuid.UUID
    items: list[JurisdictionPeriod]


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_community_id: uuid.UUID
    effective_on: IsoDate = Field(description="First day in the new community")
    reason: str = Field(min_length=1, max_length=500, examples=["星光产业社区成立"])


class BatchTransferCreate(TransferCreate):
    building_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _distinct(self) -> BatchTransferCreate:
        if len(set(self.building_ids)) != len(self.building_ids):
            raise invalid("building_ids_repeated", "building_ids 不得重复", "building_ids must be distinct")
        return self


class TransferOut(BaseModel):
    building_id: uuid.UUID
    from_community_id: uuid.UUID
    to_community_id: uuid.UUID
    effective_on: IsoDate
    reason: str


class BatchTransferOut(BaseModel):
    items: list[TransferOut]
