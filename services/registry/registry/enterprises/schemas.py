"""Request and response bodies of the enterprises domain."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from registry.enterprises.states import Status
from registry.enterprises.uscc import USCC
from shared.iso import IsoDate, IsoDateTime, JsonInt, JsonNumber

__all__ = ["Status"]
PHONE = r"^\+?[0-9][0-9 -]{5,30}$"
SECTION = r"^[A-T]$"
INDUSTRY_CODE = r"^[0-9]{2,4}$"


class RepresentativeBinding(BaseModel):
    """From the identity service: the account that proved the representative's phone."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(pattern=PHONE, examples=["+8613900000000"])
    user_subject: str = Field(min_length=1, max_length=200)


class RepresentativeRecord(BaseModel):
    """The feed's `RepresentativeChanged` payload: who may act for the enterprise, until when."""

    enterprise_id: uuid.UUID
    phone: str | None
    user_subject: str | None
    valid_until: dt.date | None


class RepresentativeRecords(BaseModel):
    items: list[RepresentativeRecord]


class RepresentativeBound(BaseModel):
    enterprise_id: uuid.UUID
    user_subject: str


class RepresentativeIn(BaseModel):
    """The person the enterprise authorised to vote and act for it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["王五"])
    phone: str | None = Field(None, pattern=PHONE, examples=["13900000000"])
    user_subject: str | None = Field(
        None, max_length=200, description="Platform account id (JWT `sub`) of the representative"
    )
    authorization_ref: str | None = Field(
        None, max_length=200, description="Reference of the signed authorisation document"
    )
    valid_until: IsoDate | None = None


class Representative(BaseModel):
    name: str
    phone: str | None = Field(description="Shown to staff of the enterprise's community and admins only")
    user_subject: str | None = Field(
        description="Shown to staff of the enterprise's community, admins and the representative themself"
    )
    authorization_ref: str | None = Field(description="Shown to staff of the enterprise's community and admins only")
    valid_until: IsoDate | None


class SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    building_id: uuid.UUID
    floor: str | None = Field(None, max_length=16, examples=["12"])
    unit: str | None = Field(None, max_length=32, examples=["1203"])
    valid_from: IsoDate


class EnterpriseFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["杭州星光数字科技有限公司"])
    legal_representative: str = Field(min_length=1, max_length=100, examples=["张三"])
    registered_address: str | None = Field(None, max_length=300)
    operating_address: str | None = Field(None, max_length=300)
    industry_section: str = Field(pattern=SECTION, description="GB/T 4754-2017 section letter", examples=["I"])
    industry_code: str | None = Field(None, pattern=INDUSTRY_CODE, description="GB/T 4754-2017 class code")
    registered_capital: JsonNumber | None = Field(None, ge=0, description="Registered capital, 10,000 CNY")
    contact_name: str | None = Field(None, max_length=100)
    contact_phone: str | None = Field(None, pattern=PHONE)


class EnterpriseCreate(EnterpriseFields):
    uscc: USCC = Field(description="Unified social credit code (GB 32100-2015)", examples=["91110000802100433B"])
    active_from: IsoDate | None = Field(None, description="First day of `active` status; today when absent")
    site: SiteIn | None = Field(None, description="First site; required when community staff register it")
    representative: RepresentativeIn | None = None


class EnterpriseUpdate(BaseModel):
    """Only the fields sent change. Enterprise representatives may send only the contact fields."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    legal_representative: str | None = Field(None, min_length=1, max_length=100)
    registered_address: str | None = Field(None, max_length=300)
    operating_address: str | None = Field(None, max_length=300)
    industry_section: str | None = Field(None, pattern=SECTION)
    industry_code: str | None = Field(None, pattern=INDUSTRY_CODE)
    registered_capital: JsonNumber | None = Field(None, ge=0)
    contact_name: str | None = Field(None, max_length=100)
    contact_phone: str | None = Field(None, pattern=PHONE)


class EnterpriseOut(BaseModel):
    id: uuid.UUID
    uscc: str
    name: str
    legal_representative: str
    registered_address: str | None
    operating_address: str | None
    industry_section: str
    industry_code: str | None
    registered_capital: float | None
    status: Status
    contact_name: str | None
    contact_phone: str | None = Field(description="Shown to staff of the enterprise's community and admins only")
    representative: Representative | None
    community_ids: list[uuid.UUID] = Field(description="Communities of its sites today")
    redacted: list[str] = Field(description="Fields withheld from this caller (JSON pointers)")
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class EnterpriseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    uscc: str
    name: str
    industry_section: str
    industry_code: str | None
    status: Status


class StatusChangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    effective_on: IsoDate = Field(description="First day of the new status; not in the future")


class StatusPeriod(BaseModel):
    status: Status
    valid_from: IsoDate
    valid_to: IsoDate | None


class StatusHistory(BaseModel):
    enterprise_id: uuid.UUID
    items: list[StatusPeriod]


class OccupancyOut(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    building_id: uuid.UUID
    floor: str | None
    unit: str | None
    valid_from: IsoDate
    valid_to: IsoDate | None


class OccupancyEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_to: IsoDate = Field(description="First day no longer there (exclusive end)")


class OccupancyList(BaseModel):
    items: list[OccupancyOut]


class HeadcountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: IsoDate
    employees: JsonInt = Field(ge=0, le=1_000_000)
    average_age: float | None = Field(None, ge=14, le=100)
    graduates: JsonInt | None = Field(None, ge=0, description="Employees with a bachelor's degree or higher")
    high_level_talents: JsonInt | None = Field(None, ge=0, description="Recognised high-level talents")


class HeadcountOut(HeadcountIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    enterprise_id: uuid.UUID


class HeadcountList(BaseModel):
    items: list[HeadcountOut]


class ImportResult(BaseModel):
    imported: int
    items: list[EnterpriseSummary]
