"""Rules of the enterprises domain: who may change what, dated status, sites, figures, privacy."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from registry.buildings.exceptions import BuildingNotFound
from registry.buildings.repository import BuildingRepository
from registry.common import date_iso, emit, period
from registry.enterprises.exceptions import (
    EnterpriseNotFound,
    InvalidDates,
    OccupancyNotFound,
    RepresentativePhoneMismatch,
    StatusConflict,
    UsccTaken,
)
from registry.enterprises.models import Enterprise, Headcount, Occupancy
from registry.enterprises.repository import EnterpriseRepository
from registry.enterprises.schemas import (
    EnterpriseCreate,
    EnterpriseOut,
    EnterpriseSummary,
    EnterpriseUpdate,
    HeadcountIn,
    HeadcountList,
    HeadcountOut,
    OccupancyList,
    OccupancyOut,
    Representative,
    RepresentativeBinding,
    RepresentativeBound,
    RepresentativeIn,
    RepresentativeRecord,
    RepresentativeRecords,
    SiteIn,
    StatusChangeCreate,
    StatusHistory,
    StatusPeriod,
)
from shared.auth import Identity, Role
from shared.concurrency import check_version
from shared.dates import business_today
from shared.errors import Forbidden, ValidationFailed
from shared.i18n import Text
from shared.scope import require_staff
from shared.uow import UnitOfWork

CONTACT_FIELDS = frozenset({"contact_name", "contact_phone"})
REQUIRED_FIELDS = frozenset({"name", "legal_representative", "industry_section"})
PRIVATE_POINTERS = [
    "/contact_phone",
    "/representative/phone",
    "/representative/user_subject",
    "/representative/authorization_ref",
]
SUBJECT_POINTER = "/representative/user_subject"


def sees_private(identity: Identity, owners: list[uuid.UUID]) -> bool:
    """Phone numbers, the representative's login subject and document references: admins and
    staff of a community the enterprise belongs to (see `repository.owning_communities`)."""
    return Role.platform_admin in identity.roles or any(identity.staff_of(c) for c in owners)


def to_out(
    enterprise: Enterprise, community_ids: list[uuid.UUID], identity: Identity, owners: list[uuid.UUID]
) -> EnterpriseOut:
    private = sees_private(identity, owners)
    # The representative may see which login the record trusts for them; nobody else outside staff.
    sees_subject = private or _is_own_rep(identity, enterprise.id)
    redacted = [] if private else [p for p in PRIVATE_POINTERS if not (sees_subject and p == SUBJECT_POINTER)]
    representative = None
    if enterprise.representative_name is not None:
        representative = Representative(
            name=enterprise.representative_name,
            phone=enterprise.representative_phone if private else None,
            user_subject=enterprise.representative_user_subject if sees_subject else None,
            authorization_ref=enterprise.representative_authorization_ref if private else None,
            valid_until=enterprise.representative_valid_until,
        )
    return EnterpriseOut(
        id=enterprise.id,
        uscc=enterprise.uscc,
        name=enterprise.name,
        legal_representative=enterprise.legal_representative,
        registered_address=enterprise.registered_address,
        operating_address=enterprise.operating_address,
        industry_section=enterprise.industry_section,
        industry_code=enterprise.industry_code,
        registered_capital=enterprise.registered_capital,
        status=enterprise.status,
        contact_name=enterprise.contact_name,
        contact_phone=enterprise.contact_phone if private else None,
        representative=representative,
        community_ids=community_ids,
        redacted=redacted,
        version=enterprise.version,
        created_at=enterprise.created_at,
        updated_at=enterprise.updated_at,
    )


async def _load(uow: UnitOfWork, enterprise_id: uuid.UUID, *, for_update: bool = False) -> Enterprise:
    enterprise = await uow.repository(EnterpriseRepository).get(enterprise_id, for_update=for_update)
    if enterprise is None:
        raise EnterpriseNotFound()
    return enterprise


def _is_own_rep(identity: Identity, enterprise_id: uuid.UUID) -> bool:
    return Role.enterprise_rep in identity.roles and identity.enterprise_id == enterprise_id


def _require_writer(identity: Identity, enterprise_id: uuid.UUID, owners: list[uuid.UUID]) -> str:
    """'staff' for admins and staff of a community the enterprise belongs to, 'rep' for its own
    representative. `owners` is the enterprise's current communities, never a target's."""
    if Role.platform_admin in identity.roles or any(identity.staff_of(c) for c in owners):
        return "staff"
    if _is_own_rep(identity, enterprise_id):
        return "rep"
    raise Forbidden(
        Text("只能修改本社区或本企业的记录", "You may change your own community's or enterprise's records only")
    )


async def get(uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID) -> EnterpriseOut:
    """One enterprise; private fields only for its community's staff and admins."""
    enterprise = await _load(uow, enterprise_id)
    today = business_today()
    return to_out(
        enterprise,
        await uow.repository(EnterpriseRepository).communities_today(enterprise_id, today),
        identity,
        await uow.repository(EnterpriseRepository).owning_communities(enterprise_id, today),
    )


async def _communities(uow: UnitOfWork, enterprise_id: uuid.UUID) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """(communities with a site today, communities the enterprise belongs to)."""
    today = business_today()
    return (
        await uow.repository(EnterpriseRepository).communities_today(enterprise_id, today),
        await uow.repository(EnterpriseRepository).owning_communities(enterprise_id, today),
    )


async def search(uow: UnitOfWork, **filters: Any) -> list[EnterpriseSummary]:
    """Enterprises matching every filter, by (name, id)."""
    rows = await uow.repository(EnterpriseRepository).search(today=business_today(), **filters)
    return [EnterpriseSummary.model_validate(row) for row in rows]


async def _site_community(uow: UnitOfWork, site: SiteIn, pointer: str) -> uuid.UUID:
    """The community the site's building belongs to on the site's first day."""
    if await uow.repository(BuildingRepository).get(site.building_id) is None:
        raise BuildingNotFound(errors=[{"detail": "no such building", "pointer": f"{pointer}/building_id"}])
    communities = await uow.repository(BuildingRepository).communities_on([site.building_id], site.valid_from)
    if site.building_id not in communities:
        raise InvalidDates(
            Text("该日期楼宇不属于任何社区", "The building belongs to no community on that date"),
            errors=[{"detail": "building has no community on valid_from", "pointer": f"{pointer}/valid_from"}],
        )
    return communities[site.building_id]


def occupancy_payload(occupancy: Occupancy, community_id: uuid.UUID) -> dict[str, Any]:
    return {
        "enterprise_id": str(occupancy.enterprise_id),
        "building_id": str(occupancy.building_id),
        "community_id": str(community_id),
        "floor": occupancy.floor,
        "unit": occupancy.unit,
        "valid_from": date_iso(occupancy.during.lower),
        "valid_to": date_iso(occupancy.during.upper),
    }


def representative_payload(enterprise: Enterprise) -> dict[str, Any]:
    """The internal feed's record of a representative; the identity service grants `enterprise_rep`
    to the account whose verified phone or subject it names (docs/identity.md, "Representatives")."""
    return {
        "enterprise_id": str(enterprise.id),
        "phone": enterprise.representative_phone,
        "user_subject": enterprise.representative_user_subject,
        "valid_until": date_iso(enterprise.representative_valid_until),
    }


def registered_payload(enterprise: Enterprise) -> dict[str, Any]:
    return {"enterprise_id": str(enterprise.id), "uscc": enterprise.uscc, "name": enterprise.name}


def _apply_representative(enterprise: Enterprise, body: RepresentativeIn | None) -> None:
    enterprise.representative_name = body.name if body else None
    enterprise.representative_phone = body.phone if body else None
    enterprise.representative_user_subject = body.user_subject if body else None
    enterprise.representative_authorization_ref = body.authorization_ref if body else None
    enterprise.representative_valid_until = body.valid_until if body else None


async def create(uow: UnitOfWork, identity: Identity, body: EnterpriseCreate) -> EnterpriseOut:
    """Register an enterprise (active from `active_from`), optionally with its first site."""
    site_community = await _site_community(uow, body.site, "/site") if body.site else None
    require_staff(identity, site_community)
    if await uow.repository(EnterpriseRepository).existing_usccs([body.uscc]):
        raise UsccTaken(errors=[{"detail": "already registered", "pointer": "/uscc"}])
    fields = body.model_dump(exclude={"active_from", "site", "representative"})
    enterprise = Enterprise(**fields, status="active")
    _apply_representative(enterprise, body.representative)
    await uow.repository(EnterpriseRepository).add(enterprise)
    await uow.repository(EnterpriseRepository).add_status_period(
        enterprise.id, "active", body.active_from or business_today()
    )
    await emit(uow, "EnterpriseRegistered", "enterprise", enterprise.id, registered_payload(enterprise))
    if body.site is not None and site_community is not None:
        await _start_site(uow, enterprise.id, body.site, site_community)
    if body.representative is not None:
        await emit(uow, "RepresentativeChanged", "enterprise", enterprise.id, representative_payload(enterprise))
    community_ids, owners = await _communities(uow, enterprise.id)
    return to_out(enterprise, community_ids, identity, owners)


async def update(
    uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID, expected_version: int, body: EnterpriseUpdate
) -> EnterpriseOut:
    """Change the fields sent; an enterprise's own representative may change only its contact."""
    enterprise = await _load(uow, enterprise_id)
    community_ids, owners = await _communities(uow, enterprise_id)
    writer = _require_writer(identity, enterprise_id, owners)
    changes = body.model_dump(exclude_unset=True)
    if writer == "rep" and not CONTACT_FIELDS.issuperset(changes):
        raise Forbidden(
            Text("企业代表只能修改联系人和联系电话", "An enterprise representative may change only the contact"),
            errors=[{"detail": "not yours to change", "pointer": f"/{field}"} for field in sorted(changes)],
        )
    check_version(expected_version, enterprise.version)
    for field, value in changes.items():
        if value is None and field in REQUIRED_FIELDS:
            raise ValidationFailed(errors=[{"detail": "may not be null", "pointer": f"/{field}"}])
        setattr(enterprise, field, value)
    await uow.flush()
    return to_out(enterprise, community_ids, identity, owners)


async def set_representative(
    uow: UnitOfWork,
    identity: Identity,
    enterprise_id: uuid.UUID,
    expected_version: int,
    body: RepresentativeIn,
) -> EnterpriseOut:
    """Record who is authorised to act (and vote) for the enterprise."""
    enterprise = await _load(uow, enterprise_id)
    community_ids, owners = await _communities(uow, enterprise_id)
    _require_writer(identity, enterprise_id, owners)
    check_version(expected_version, enterprise.version)
    _apply_representative(enterprise, body)
    enterprise.updated_at = dt.datetime.now(dt.UTC)
    await uow.flush()
    await emit(uow, "RepresentativeChanged", "enterprise", enterprise.id, representative_payload(enterprise))
    return to_out(enterprise, community_ids, identity, owners)


def same_mobile(one: str | None, other: str | None) -> bool:
    """Two spellings of one mainland mobile number (`139 0000 1111`, `+8613900001111`)."""
    if not one or not other:
        return False
    digits = ["".join(ch for ch in text if ch.isdigit()) for text in (one, other)]
    return all(len(d) >= 11 for d in digits) and digits[0][-11:] == digits[1][-11:]


async def representatives_by_phone(uow: UnitOfWork, phone: str) -> RepresentativeRecords:
    """Every enterprise whose representative record has this mobile number (the identity service at sign-in)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    found = await uow.repository(EnterpriseRepository).represented_by_mobile(digits[-11:]) if len(digits) >= 11 else []
    return RepresentativeRecords(
        items=[RepresentativeRecord.model_validate(representative_payload(enterprise)) for enterprise in found]
    )


async def bind_representative_subject(
    uow: UnitOfWork, enterprise_id: uuid.UUID, body: RepresentativeBinding
) -> RepresentativeBound:
    """The identity service proved the representative's phone: the record's subject becomes that account.

    Only when the phone sent is the record's phone; the change goes to the feed like any other."""
    enterprise = await _load(uow, enterprise_id, for_update=True)
    if not same_mobile(enterprise.representative_phone, body.phone):
        raise RepresentativePhoneMismatch()
    if enterprise.representative_user_subject != body.user_subject:
        enterprise.representative_user_subject = body.user_subject
        enterprise.updated_at = dt.datetime.now(dt.UTC)
        await uow.flush()
        await emit(uow, "RepresentativeChanged", "enterprise", enterprise.id, representative_payload(enterprise))
    return RepresentativeBound(enterprise_id=enterprise.id, user_subject=body.user_subject)


async def change_status(
    uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID, body: StatusChangeCreate
) -> StatusHistory:
    """Close the open status period and open the new one from `effective_on`."""
    enterprise = await _load(uow, enterprise_id, for_update=True)
    owners = await uow.repository(EnterpriseRepository).owning_communities(enterprise_id, business_today())
    if _require_writer(identity, enterprise_id, owners) != "staff":
        raise Forbidden(Text("企业代表不能变更企业状态", "An enterprise representative cannot change the status"))
    if body.effective_on > business_today():
        raise InvalidDates(errors=[{"detail": "may not be in the future", "pointer": "/effective_on"}])
    current = await uow.repository(EnterpriseRepository).open_status(enterprise_id)
    if current is not None:
        if current.status == body.status:
            raise StatusConflict(Text("企业已是该状态", "The enterprise already has that status"))
        started = current.during.lower
        if started is not None and body.effective_on <= started:
            raise StatusConflict(
                errors=[{"detail": "must follow the current period's start", "pointer": "/effective_on"}]
            )
        if not await uow.repository(EnterpriseRepository).close_open_status(enterprise_id, body.effective_on):
            raise StatusConflict(Text("状态已被同时修改", "The status was changed concurrently"))
    await uow.repository(EnterpriseRepository).add_status_period(enterprise_id, body.status, body.effective_on)
    enterprise.status = body.status
    await uow.flush()
    await emit(
        uow,
        "EnterpriseStatusChanged",
        "enterprise",
        enterprise_id,
        {
            "enterprise_id": str(enterprise_id),
            "uscc": enterprise.uscc,
            "status": body.status,
            "effective_on": body.effective_on.isoformat(),
        },
    )
    return await status_history(uow, enterprise_id)


async def status_history(uow: UnitOfWork, enterprise_id: uuid.UUID) -> StatusHistory:
    await _load(uow, enterprise_id)
    rows = await uow.repository(EnterpriseRepository).status_history(enterprise_id)
    return StatusHistory(
        enterprise_id=enterprise_id,
        items=[StatusPeriod(status=row.status, valid_from=row.during.lower, valid_to=row.during.upper) for row in rows],
    )


def occupancy_out(row: Occupancy) -> OccupancyOut:
    assert row.during.lower is not None
    return OccupancyOut(
        id=row.id,
        enterprise_id=row.enterprise_id,
        building_id=row.building_id,
        floor=row.floor,
        unit=row.unit,
        valid_from=row.during.lower,
        valid_to=row.during.upper,
    )


async def _start_site(uow: UnitOfWork, enterprise_id: uuid.UUID, site: SiteIn, community_id: uuid.UUID) -> Occupancy:

    occupancy = await uow.repository(EnterpriseRepository).add_occupancy(
        Occupancy(
            enterprise_id=enterprise_id,
            building_id=site.building_id,
            floor=site.floor,
            unit=site.unit,
            during=period(site.valid_from),
        ),
    )
    await emit(uow, "OccupancyStarted", "enterprise", enterprise_id, occupancy_payload(occupancy, community_id))
    return occupancy


async def add_occupancy(uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID, site: SiteIn) -> OccupancyOut:
    """A new site, approved by staff of a community the enterprise belongs to (or an admin); an
    enterprise that belongs nowhere may be placed by staff of the new building's community."""
    await _load(uow, enterprise_id, for_update=True)  # serialises moves of one enterprise
    community_id = await _site_community(uow, site, "")
    owners = await uow.repository(EnterpriseRepository).owning_communities(enterprise_id, business_today())
    if owners:
        if not sees_private(identity, owners):
            raise Forbidden(
                Text(
                    "企业迁入须由其所属社区的工作人员办理",
                    "A new site must be approved by staff of a community the enterprise belongs to",
                )
            )
    else:
        require_staff(identity, community_id)
    return occupancy_out(await _start_site(uow, enterprise_id, site, community_id))


async def end_occupancy(
    uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID, occupancy_id: uuid.UUID, valid_to: dt.date
) -> OccupancyOut:
    """Record the first day the enterprise is no longer at the site."""
    occupancy = await uow.repository(EnterpriseRepository).occupancy(enterprise_id, occupancy_id, for_update=True)
    if occupancy is None:
        raise OccupancyNotFound()
    started = occupancy.during.lower
    assert started is not None
    if occupancy.during.upper is not None or valid_to <= started:
        raise InvalidDates(
            errors=[{"detail": "site already ended, or valid_to not after its start", "pointer": "/valid_to"}]
        )
    last_day = valid_to - dt.timedelta(days=1)
    communities = await uow.repository(BuildingRepository).communities_on([occupancy.building_id], last_day)
    community_id = communities.get(occupancy.building_id)
    # The site's owner is the community holding the building now (or when the site starts), not
    # the one on a `valid_to` the caller picks: a past owner must not end today's site.
    today = business_today()
    owner_on = max(today, started)
    owner = (await uow.repository(BuildingRepository).communities_on([occupancy.building_id], owner_on)).get(
        occupancy.building_id
    )
    require_staff(identity, owner if owner is not None else community_id)

    occupancy.during = period(started, valid_to)
    await uow.flush()
    assert community_id is not None
    await emit(uow, "OccupancyEnded", "enterprise", enterprise_id, occupancy_payload(occupancy, community_id))
    return occupancy_out(occupancy)


async def list_occupancies(uow: UnitOfWork, enterprise_id: uuid.UUID) -> OccupancyList:
    await _load(uow, enterprise_id)
    return OccupancyList(
        items=[occupancy_out(row) for row in await uow.repository(EnterpriseRepository).occupancies(enterprise_id)]
    )


async def add_headcount(
    uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID, body: HeadcountIn
) -> HeadcountOut:
    """Record the enterprise's figures for a date; its own representative may report them."""
    await _load(uow, enterprise_id)
    owners = await uow.repository(EnterpriseRepository).owning_communities(enterprise_id, business_today())
    _require_writer(identity, enterprise_id, owners)
    row = await uow.repository(EnterpriseRepository).add_headcount(
        Headcount(enterprise_id=enterprise_id, **body.model_dump())
    )
    return HeadcountOut.model_validate(row)


async def list_headcounts(uow: UnitOfWork, enterprise_id: uuid.UUID) -> HeadcountList:
    await _load(uow, enterprise_id)
    rows = await uow.repository(EnterpriseRepository).headcounts(enterprise_id)
    return HeadcountList(items=[HeadcountOut.model_validate(row) for row in rows])
