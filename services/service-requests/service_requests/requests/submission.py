"""Filing a request: the type, the caller's role and community, the answers, the deadlines.

Shared by the REST route and the Open311 facade. The statement and the choice of the hot path
are the repository's (`submission_repository.py`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from service_requests.calendar.service import cached_calendar, current_calendar
from service_requests.requests.exceptions import ConsentRequired, PartnerNotOffered, ServiceTypeUnavailable
from service_requests.requests.forms import validate_answers
from service_requests.requests.models import NewRequest
from service_requests.requests.repository import RequestRepository
from service_requests.requests.schemas import RequestCreate, RequestCreated
from service_requests.requests.submission_repository import DUPLICATE_WINDOW, SubmissionRepository, SubmissionType
from service_requests.requests.views import RequestRow, actor_role, read_fields
from service_requests.working_calendar import DeadlineUnit, WorkingCalendar
from shared.auth import Identity
from shared.errors import Forbidden
from shared.i18n import Text
from shared.uow import UnitOfWork

PARTNER_KINDS = ("bank", "mcn")


def _type_snapshot(service_type: SubmissionType) -> dict[str, Any]:
    return {
        "code": service_type.code,
        "name_zh": service_type.name_zh,
        "name_en": service_type.name_en,
        "version": service_type.version,
        "form": service_type.form,
        "handler_kind": service_type.handler_kind,
        "partner_ids": [str(partner) for partner in service_type.handler_partner_ids],
        "share_description": service_type.handler_share_description,
        "deadlines": {
            "acknowledge": {"amount": service_type.acknowledge_amount, "unit": service_type.acknowledge_unit},
            "resolve": {"amount": service_type.resolve_amount, "unit": service_type.resolve_unit},
        },
    }


# Service types by id, per process; a stale entry is harmless: the insert checks the version.
_TYPE_CACHE: dict[uuid.UUID, SubmissionType] = {}
_TYPE_CACHE_SIZE = 2048


async def _service_type(repository: SubmissionRepository, type_id: uuid.UUID, *, fresh: bool) -> SubmissionType | None:
    cached = None if fresh else _TYPE_CACHE.get(type_id)
    if cached is not None:
        return cached
    row = await repository.submission_type(type_id)
    if row is not None:
        if len(_TYPE_CACHE) >= _TYPE_CACHE_SIZE:
            _TYPE_CACHE.clear()
        _TYPE_CACHE[type_id] = row
    return row


def _check_requester(service_type: SubmissionType | None, identity: Identity) -> tuple[SubmissionType, uuid.UUID]:
    """The type and the enterprise the request is filed for, through the REST route and Open311 alike."""
    if service_type is None or not service_type.active:
        raise ServiceTypeUnavailable(
            Text("服务事项不存在或已停用", "The service type does not exist or is inactive"),
            errors=[{"detail": "unknown or inactive service type", "pointer": "/type_id"}],
        )
    if identity.roles.isdisjoint(service_type.requester_roles):
        raise Forbidden(Text("您的角色不能申请该服务", "Your role may not request this service"))
    if service_type.community_id not in identity.community_ids or identity.enterprise_id is None:
        raise Forbidden(Text("只能申请本企业所在社区的服务", "You may only request services of your own community"))
    return service_type, identity.enterprise_id


def _submission(
    service_type: SubmissionType | None,
    identity: Identity,
    body: RequestCreate,
    answers: dict[str, Any],
    now: dt.datetime,
    calendar: WorkingCalendar,
) -> NewRequest:
    """Every column of the new request, computed from the type version it is filed under."""
    service_type, enterprise_id = _check_requester(service_type, identity)
    cleaned = validate_answers(service_type.form, answers)
    partners = [str(partner) for partner in service_type.handler_partner_ids]
    routed_partner_id = uuid.UUID(partners[0]) if partners else None
    if body.partner_id is not None:
        if str(body.partner_id) not in partners:
            raise PartnerNotOffered(errors=[{"detail": "not one of the type's partners", "pointer": "/partner_id"}])
        routed_partner_id = body.partner_id
    if service_type.handler_kind in PARTNER_KINDS and not body.share_consent:
        raise ConsentRequired(
            errors=[{"detail": "must be true: this service is handled by a partner", "pointer": "/share_consent"}]
        )
    location = body.location
    acknowledge = calendar.deadline(now, service_type.acknowledge_amount, DeadlineUnit(service_type.acknowledge_unit))
    resolve = calendar.deadline(now, service_type.resolve_amount, DeadlineUnit(service_type.resolve_unit))
    return NewRequest(
        id=uuid.uuid4(),
        type_id=service_type.id,
        type_version=service_type.version,
        type_snapshot=_type_snapshot(service_type),
        category=service_type.category,
        scenario=service_type.scenario,
        community_id=service_type.community_id,
        enterprise_id=enterprise_id,
        requester_subject=identity.subject,
        requester_role=actor_role(identity),
        description=body.description,
        answers=cleaned,
        building_id=location.building_id if location else None,
        floor=location.floor if location else None,
        latitude=location.lat if location else None,
        longitude=location.lon if location else None,
        address=location.address if location else None,
        attachments=[attachment.model_dump(mode="json") for attachment in body.attachments],
        handler_kind=service_type.handler_kind,
        routed_partner_id=routed_partner_id,
        share_consent=body.share_consent,
        share_consent_at=now if body.share_consent else None,
        acknowledge_due_at=acknowledge.due_at,
        resolve_due_at=resolve.due_at,
        deadlines_provisional=acknowledge.provisional or resolve.provisional,
        calendar_version=calendar.version,
        created_at=now,
    )


def routed_data(row: RequestRow) -> dict[str, Any]:
    """The `RequestRouted` webhook data: no description, answers or requester."""
    return {
        "request_id": str(row.id),
        "type_code": row.type_snapshot["code"],
        "category": row.category,
        "community_id": str(row.community_id),
        "status": row.status,
        "version": row.version,
        "acknowledge_due_at": row.acknowledge_due_at.isoformat(),
        "resolve_due_at": row.resolve_due_at.isoformat(),
    }


def _submitted_payload(new: NewRequest) -> dict[str, Any]:
    return {
        "request_id": new.id,
        "type_id": new.type_id,
        "type_code": new.type_snapshot["code"],
        "type_version": new.type_version,
        "category": new.category,
        "scenario": new.scenario,
        "community_id": new.community_id,
        "enterprise_id": new.enterprise_id,
        "requester_subject": new.requester_subject,
        "title": new.type_snapshot["name_zh"],
        "title_en": new.type_snapshot["name_en"],
        "handler_kind": new.handler_kind,
        "routed_partner_id": new.routed_partner_id,
        "share_consent": new.share_consent,
        "share_consent_at": new.share_consent_at,
        "acknowledge_due_at": new.acknowledge_due_at,
        "resolve_due_at": new.resolve_due_at,
    }


async def submit(
    uow: UnitOfWork,
    identity: Identity,
    body: RequestCreate,
    now: dt.datetime,
    *,
    answers: dict[str, Any] | None = None,
) -> RequestCreated:
    """File a request: checks the type, the caller's role and community, the answers; computes deadlines."""
    submissions = uow.repository(SubmissionRepository)
    for fresh in (False, True):
        service_type = await _service_type(submissions, body.type_id, fresh=fresh)
        calendar = None if fresh else cached_calendar()
        if calendar is None:
            calendar = await current_calendar(uow)
        new = _submission(service_type, identity, body, body.answers if answers is None else answers, now, calendar)
        inserted, similar = await submissions.submit(new, _submitted_payload(new), now - DUPLICATE_WINDOW)
        if inserted:
            break
    else:  # the type (or the calendar) changed twice while we filed: unavailable rather than loop
        raise ServiceTypeUnavailable(Text("服务事项正在变更,请重试", "The service type is changing; please retry"))
    if new.routed_partner_id is not None:  # in the same transaction (so never on the hot path)
        await uow.repository(RequestRepository).notify_partner(
            new.routed_partner_id, "RequestRouted", routed_data(new), now
        )
    duplicates = [found._asdict() for found in similar]
    return RequestCreated.model_validate({**read_fields(new, identity, now), "possible_duplicates": duplicates})
