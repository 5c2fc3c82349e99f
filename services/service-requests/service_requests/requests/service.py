"""Rules of service requests: submission, the workflow, comments, ratings and the periodic jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from service_requests.calendar.service import cached_calendar, current_calendar
from service_requests.requests import workflow
from service_requests.requests.exceptions import (
    ActionNotPermitted,
    AlreadyRated,
    ConsentRequired,
    IllegalTransition,
    NoReturnVisitOwed,
    NotRateable,
    OutcomeKindMismatch,
    OutcomeNotAllowed,
    OutcomeRequired,
    PartnerNotOffered,
    ReasonRequired,
    RequestNotFound,
    RequestNotVisible,
    ReturnVisitRecorded,
    ServiceTypeUnavailable,
)
from service_requests.requests.forms import validate_answers
from service_requests.requests.models import RequestEvent, ServiceRequest
from service_requests.requests.repository import DUPLICATE_WINDOW, RequestRepository, overdue_clause, record
from service_requests.requests.schemas import (
    CommentCreate,
    PartnerRequestRead,
    RatingCreate,
    RequestCreate,
    RequestRead,
    RequestStats,
    ReturnVisitCreate,
    TimelineEntry,
    TransitionCreate,
)
from service_requests.requests.workflow import Action, Actor, Status
from service_requests.working_calendar import SHANGHAI, Deadline, DeadlineUnit, WorkingCalendar
from shared.auth import Identity, Role
from shared.concurrency import check_version, if_match_version
from shared.errors import Forbidden
from shared.hot_path import FairPool
from shared.i18n import Text
from shared.jsonutil import dumps

RECTIFICATION_WORKING_DAYS = 15
RETURN_VISIT_WORKING_DAYS = 1
BAD_RATING = 2  # 1 非常不满意 and 2 不满意 are the bad grades (差评)
AUTO_CLOSE_AFTER = dt.timedelta(days=7)
REQUESTER_ROLES = (Role.enterprise_rep, Role.employee)
SYSTEM_SUBJECT = "system:service-requests"
PARTNER_KINDS = ("bank", "mcn")
# the outcome kind a partner of each handler kind reports when it resolves
OUTCOME_KIND = {"bank": "financing", "mcn": "mcn_campaign"}


def actor_role(identity: Identity) -> str:
    return ",".join(sorted(identity.roles))


def actors_of(identity: Identity, row: Any) -> frozenset[Actor]:
    """What the caller is to this request: handler, staff, requester (any number of them)."""
    actors: set[Actor] = set()
    if identity.staff_of(row.community_id):
        actors.update((Actor.staff, Actor.handler))
    if identity.has(Role.partner) and identity.partner_id is not None and identity.partner_id == row.routed_partner_id:
        actors.update((Actor.handler, Actor.partner))
    same_enterprise = (
        identity.has(Role.enterprise_rep)
        and row.enterprise_id is not None
        and identity.enterprise_id == row.enterprise_id
    )
    if identity.subject == row.requester_subject or same_enterprise:
        actors.add(Actor.requester)
    return frozenset(actors)


def is_overdue(row: Any, now: dt.datetime) -> bool:
    if row.status not in workflow.OPEN_FOR_HANDLER:
        return False
    return bool(row.resolve_due_at < now or (row.acknowledged_at is None and row.acknowledge_due_at < now))


def to_read(row: Any, identity: Identity, now: dt.datetime) -> RequestRead:
    """The API view of a request row (ORM object or Core values), with the caller's next actions."""
    return RequestRead.model_validate(read_fields(row, identity, now))


def sees_partner_view(identity: Identity) -> bool:
    """Partners get `PartnerRequestRead` and a redacted timeline, whatever else they are."""
    return identity.has(Role.partner)


def to_view(row: Any, identity: Identity, now: dt.datetime) -> RequestRead | PartnerRequestRead:
    """The view the caller is entitled to: the partner view for partners, the full one for the others."""
    return to_partner_read(row, identity, now) if sees_partner_view(identity) else to_read(row, identity, now)


def to_partner_read(row: Any, identity: Identity, now: dt.datetime) -> PartnerRequestRead:
    """The partner view: workflow fields, shareable answers and (if shared) the description.

    What is shareable comes from the type snapshot the request was filed under, so editing the
    type later never widens what a partner sees of an old request.
    """
    snapshot = row.type_snapshot
    shareable = {attribute["code"] for attribute in snapshot.get("form", []) if attribute.get("shareable")}
    full = read_fields(row, identity, now)
    shared = {name: value for name, value in full.items() if name in _PARTNER_FIELDS}
    shared["description"] = row.description if snapshot.get("share_description") else None
    shared["answers"] = {code: value for code, value in row.answers.items() if code in shareable}
    return PartnerRequestRead.model_validate(shared)


_PARTNER_FIELDS = frozenset(PartnerRequestRead.model_fields)


def allowed_actions(row: Any, actors: frozenset[Actor]) -> list[Action]:
    """The table's actions for these actors, less `route` when the type has no partner or no consent."""
    actions = workflow.available(Status(row.status), actors)
    if not row.type_snapshot.get("partner_ids") or row.share_consent_at is None:
        actions = [action for action in actions if action is not Action.route]
    return actions


def read_fields(row: Any, identity: Identity, now: dt.datetime) -> dict[str, Any]:
    snapshot = row.type_snapshot
    has_location = any(
        value is not None for value in (row.building_id, row.floor, row.latitude, row.longitude, row.address)
    )
    location = (
        {
            "building_id": row.building_id,
            "floor": row.floor,
            "lat": row.latitude,
            "lon": row.longitude,
            "address": row.address,
        }
        if has_location
        else None
    )
    return {
        "id": row.id,
        "type_id": row.type_id,
        "type_version": row.type_version,
        "type_code": snapshot["code"],
        "type_name_zh": snapshot["name_zh"],
        "type_name_en": snapshot["name_en"],
        "category": row.category,
        "scenario": row.scenario,
        "community_id": row.community_id,
        "enterprise_id": row.enterprise_id,
        "requester_subject": row.requester_subject,
        "status": row.status,
        "description": row.description,
        "answers": row.answers,
        "location": location,
        "attachments": row.attachments,
        "handler_kind": row.handler_kind,
        "routed_partner_id": row.routed_partner_id,
        "assignee_subject": row.assignee_subject,
        "acknowledge_due_at": row.acknowledge_due_at,
        "resolve_due_at": row.resolve_due_at,
        "acknowledged_at": row.acknowledged_at,
        "resolved_at": row.resolved_at,
        "closed_at": row.closed_at,
        "overdue": is_overdue(row, now),
        "provisional": row.deadlines_provisional,
        "escalation_level": row.escalation_level,
        "reopen_count": row.reopen_count,
        "rating": row.rating,
        "rating_comment": row.rating_comment,
        "return_visit_due_at": row.return_visit_due_at,
        "return_visited_at": row.return_visited_at,
        "follow_up_rating": row.follow_up_rating,
        "outcome": row.outcome,
        "share_consent_at": row.share_consent_at,
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "allowed_actions": allowed_actions(row, actors_of(identity, row)),
    }


class _Values:
    """Attribute access over the values dict inserted with Core, so `to_read` serves both."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _type_snapshot(service_type: Any) -> dict[str, Any]:
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
_TYPE_CACHE: dict[uuid.UUID, Any] = {}
_TYPE_CACHE_SIZE = 2048


async def _service_type(repository: RequestRepository, type_id: uuid.UUID, *, fresh: bool) -> Any:
    cached = None if fresh else _TYPE_CACHE.get(type_id)
    if cached is not None:
        return cached
    row = await repository.service_type_row(type_id)
    if row is not None:
        if len(_TYPE_CACHE) >= _TYPE_CACHE_SIZE:
            _TYPE_CACHE.clear()
        _TYPE_CACHE[type_id] = row
    return row


def _plain_uuid(value: uuid.UUID) -> uuid.UUID:
    """asyncpg's UUID subclass as a plain UUID (orjson serialises only the latter)."""
    return value if type(value) is uuid.UUID else uuid.UUID(bytes=value.bytes)


def _check_requester(service_type: Any, identity: Identity) -> uuid.UUID:
    """The enterprise the request is filed for, through the REST route and Open311 alike."""
    if service_type is None or not service_type.active:
        raise ServiceTypeUnavailable(
            Text("服务事项不存在或已停用", "The service type does not exist or is inactive"),
            errors=[{"detail": "unknown or inactive service type", "pointer": "/type_id"}],
        )
    if identity.roles.isdisjoint(service_type.requester_roles):
        raise Forbidden(Text("您的角色不能申请该服务", "Your role may not request this service"))
    if service_type.community_id not in identity.community_ids or identity.enterprise_id is None:
        raise Forbidden(Text("只能申请本企业所在社区的服务", "You may only request services of your own community"))
    return identity.enterprise_id


def _submission(
    service_type: Any,
    identity: Identity,
    body: RequestCreate,
    answers: dict[str, Any],
    now: dt.datetime,
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    """Every column of the new request, computed from the type version it is filed under."""
    enterprise_id = _check_requester(service_type, identity)
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
    return {
        "id": uuid.uuid4(),
        "type_id": _plain_uuid(service_type.id),
        "type_version": service_type.version,
        "type_snapshot": _type_snapshot(service_type),
        "category": service_type.category,
        "scenario": service_type.scenario,
        "community_id": _plain_uuid(service_type.community_id),
        "enterprise_id": enterprise_id,
        "requester_subject": identity.subject,
        "requester_role": actor_role(identity),
        "status": workflow.INITIAL.value,
        "description": body.description,
        "answers": cleaned,
        "building_id": location.building_id if location else None,
        "floor": location.floor if location else None,
        "latitude": location.lat if location else None,
        "longitude": location.lon if location else None,
        "address": location.address if location else None,
        "attachments": [attachment.model_dump(mode="json") for attachment in body.attachments],
        "handler_kind": service_type.handler_kind,
        "routed_partner_id": routed_partner_id,
        "share_consent": body.share_consent,  # recorded in the RequestSubmitted event
        "share_consent_at": now if body.share_consent else None,
        "outcome": None,
        "assignee_subject": None,
        "acknowledge_due_at": acknowledge.due_at,
        "resolve_due_at": resolve.due_at,
        "deadlines_provisional": acknowledge.provisional or resolve.provisional,
        "calendar_version": calendar.version,  # the statement checks it; not stored
        "clock_started_at": now,
        "acknowledged_at": None,
        "resolved_at": None,
        "closed_at": None,
        "escalation_level": 0,
        "reopen_count": 0,
        "rating": None,
        "rating_comment": None,
        "return_visit_due_at": None,
        "return_visited_at": None,
        "follow_up_rating": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _routed_data(row: Any) -> dict[str, Any]:
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


def _submitted_payload(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "request_id": values["id"],
        "type_id": values["type_id"],
        "type_code": values["type_snapshot"]["code"],
        "type_version": values["type_version"],
        "category": values["category"],
        "scenario": values["scenario"],
        "community_id": values["community_id"],
        "enterprise_id": values["enterprise_id"],
        "handler_kind": values["handler_kind"],
        "routed_partner_id": values["routed_partner_id"],
        "share_consent": values["share_consent"],
        "share_consent_at": values["share_consent_at"],
        "acknowledge_due_at": values["acknowledge_due_at"],
        "resolve_due_at": values["resolve_due_at"],
    }


async def submit(
    repository: RequestRepository,
    identity: Identity,
    body: RequestCreate,
    now: dt.datetime,
    *,
    answers: dict[str, Any] | None = None,
    pool: FairPool | None = None,
) -> dict[str, Any]:
    """File a request: checks the type, the caller's role and community, the answers; computes deadlines.

    Returns the `RequestCreated` document as plain data (the hot path skips a second validation).
    """
    for fresh in (False, True):
        service_type = await _service_type(repository, body.type_id, fresh=fresh)
        calendar = None if fresh else cached_calendar()
        if calendar is None:
            calendar = await current_calendar(repository.session)
        values = _submission(service_type, identity, body, body.answers if answers is None else answers, now, calendar)
        row = {
            **values,
            "type_snapshot": dumps(values["type_snapshot"]).decode(),
            "answers": dumps(values["answers"]).decode(),
            "attachments": dumps(values["attachments"]).decode(),
            "history_id": uuid.uuid4(),
            "event_id": uuid.uuid4(),
            "event_payload": dumps(_submitted_payload(values)).decode(),
            "duplicates_since": now - DUPLICATE_WINDOW,
        }
        # a routed request notifies its partner in the same transaction, so never on the autocommit pool
        routed = values["routed_partner_id"] is not None
        inserted, similar = await repository.submit(row, None if routed else pool)
        if inserted:
            break
    else:  # the type (or the calendar) changed twice while we filed: unavailable rather than loop
        raise ServiceTypeUnavailable(Text("服务事项正在变更,请重试", "The service type is changing; please retry"))
    if values["routed_partner_id"] is not None:
        await repository.notify_partner(
            values["routed_partner_id"], "RequestRouted", _routed_data(_Values(values)), now
        )
    duplicates = [
        {
            "id": str(record["id"]),
            "description": record["description"],
            "status": record["status"],
            "created_at": record["created_at"],
            "similarity": record["similarity"],
        }
        for record in similar
    ]
    return {**read_fields(_Values(values), identity, now), "possible_duplicates": duplicates}


async def load_visible(
    repository: RequestRepository, identity: Identity, request_id: uuid.UUID, *, for_update: bool = False
) -> ServiceRequest:
    """The request if the caller may see it: 404 when missing, 403 when it is someone else's."""
    row = await repository.get(request_id, for_update=for_update)
    if row is None:
        raise RequestNotFound()
    if not identity.has(Role.platform_admin) and not actors_of(identity, row):
        raise RequestNotVisible()
    return row


def _event(row: ServiceRequest, kind: str, actor: str, role: str, now: dt.datetime, **fields: Any) -> RequestEvent:
    return RequestEvent(
        id=uuid.uuid4(), request_id=row.id, kind=kind, actor_subject=actor, actor_role=role, created_at=now, **fields
    )


async def _move(
    repository: RequestRepository,
    row: ServiceRequest,
    transition: workflow.Transition,
    *,
    actor: str,
    role: str,
    reason: str | None,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
    also_notify: uuid.UUID | None = None,
) -> None:
    """Apply one row of the transition table: status, clocks, history row and event, one transaction."""
    source = Status(row.status)
    target = transition.target
    if source in workflow.PAUSES_CLOCK and row.paused_at is not None:
        row.resolve_due_at = row.resolve_due_at + (now - row.paused_at)
        row.paused_at = None
    if target in workflow.PAUSES_CLOCK:
        row.paused_at = now
    if transition.action in workflow.ACKNOWLEDGING and row.acknowledged_at is None:
        row.acknowledged_at = now
    if target is Status.resolved:
        row.resolved_at = now
    if target in workflow.TERMINAL:
        row.closed_at = now
    if target is Status.reopened:
        # rectification: a fresh 15-working-day clock, escalations start over
        row.reopen_count += 1
        row.resolved_at = None
        row.clock_started_at = now
        # read after the row lock, so a calendar load either precedes it or waits for it
        rectification = (await current_calendar(repository.session)).add_working_days(now, RECTIFICATION_WORKING_DAYS)
        row.resolve_due_at = rectification.due_at
        row.deadlines_provisional = rectification.provisional
        row.escalation_level = 0
        row.outcome = None
    row.status = target.value
    row.updated_at = now
    repository.add_event(
        _event(
            row,
            "transition",
            actor,
            role,
            now,
            action=transition.action.value,
            from_status=source.value,
            to_status=target.value,
            body=reason,
            internal=False,
            data=data or {},
        )
    )
    await repository.flush()
    outcome = row.outcome if transition.action is Action.resolve else None
    await record(
        repository.session,
        "RequestTransitioned",
        row.id,
        {
            "request_id": str(row.id),
            "action": transition.action.value,
            "from": source.value,
            "to": target.value,
            "actor_subject": actor,
            "actor_role": role,
            "reason": reason,
            "community_id": str(row.community_id),
            "routed_partner_id": str(row.routed_partner_id) if row.routed_partner_id else None,
            "version": row.version,
            "outcome": outcome,
        },
    )
    # the partner never reads the requester's rating comment (it is the reason of rating moves)
    partner_data = {
        "request_id": str(row.id),
        "action": transition.action.value,
        "from": source.value,
        "to": target.value,
        "actor_role": role,
        "reason": None if data and "rating" in data else reason,
        "version": row.version,
        "outcome": outcome,
    }
    for partner_id in dict.fromkeys(partner for partner in (row.routed_partner_id, also_notify) if partner):
        await repository.notify_partner(partner_id, "RequestTransitioned", partner_data, now)


async def transition(
    repository: RequestRepository,
    identity: Identity,
    request_id: uuid.UUID,
    expected_version: int,
    body: TransitionCreate,
    now: dt.datetime,
) -> ServiceRequest:
    """Move a request along the transition table: 412 stale, 409 illegal (with allowed actions), 403 not yours."""
    row = await load_visible(repository, identity, request_id, for_update=True)
    check_version(expected_version, row.version)
    actors = actors_of(identity, row)
    status = Status(row.status)
    rule = workflow.BY_ACTION[body.action]
    allowed = allowed_actions(row, actors)
    if status not in rule.sources:
        raise IllegalTransition(
            Text(
                f"状态 {status.value} 下不能执行 {body.action.value}", f"Cannot {body.action.value} from {status.value}"
            ),
            extra={"status_now": status.value, "allowed_actions": [action.value for action in allowed]},
        )
    if actors.isdisjoint(rule.actors):
        raise ActionNotPermitted(extra={"allowed_actions": [action.value for action in allowed]})
    reason = body.reason.strip() if body.reason else None
    if rule.needs_reason and not reason:
        raise ReasonRequired(errors=[{"detail": "required for this action", "pointer": "/reason"}])
    if body.action is Action.assign:
        row.assignee_subject = body.assignee_subject or identity.subject
    data = _check_outcome(row, body, actors)
    if body.action is Action.resolve:
        row.outcome = data.get("outcome")
    if body.action is Action.decline:  # back to community staff for rerouting; the partner no longer sees it
        row.routed_partner_id = None
        row.handler_kind = "community_staff"
    previous_partner = row.routed_partner_id
    if body.action is Action.route:
        row.routed_partner_id = _route_target(row, body)
        row.handler_kind = row.type_snapshot["handler_kind"]
        data = {"partner_id": str(row.routed_partner_id)}
    await _move(
        repository,
        row,
        rule,
        actor=identity.subject,
        role=actor_role(identity),
        reason=reason,
        now=now,
        data=data,
        also_notify=previous_partner if body.action is Action.route else None,
    )
    if body.action is Action.route and row.routed_partner_id is not None:
        await repository.notify_partner(row.routed_partner_id, "RequestRouted", _routed_data(row), now)
    return row


def _check_outcome(row: ServiceRequest, body: TransitionCreate, actors: frozenset[Actor]) -> dict[str, Any]:
    """The timeline data of a resolve with its outcome; 422 when the outcome breaks a rule."""
    outcome = body.outcome
    if outcome is not None and body.action is not Action.resolve:
        raise OutcomeNotAllowed(errors=[{"detail": "only with the action resolve", "pointer": "/outcome"}])
    if body.action is not Action.resolve:
        return {}
    expected = OUTCOME_KIND.get(row.type_snapshot.get("handler_kind", ""))
    if outcome is None:
        if Actor.partner in actors and Actor.staff not in actors:
            raise OutcomeRequired(
                errors=[{"detail": f"a partner resolves with a {expected} outcome", "pointer": "/outcome"}]
            )
        return {}
    if expected is not None and outcome.kind != expected:
        raise OutcomeKindMismatch(errors=[{"detail": f"this service's outcome is {expected}", "pointer": "/outcome"}])
    return {"outcome": outcome.model_dump(mode="json")}


def _route_target(row: ServiceRequest, body: TransitionCreate) -> uuid.UUID:
    """The partner staff route to: one of the filed type version's partners, with consent on record."""
    if body.partner_id is None:
        raise PartnerNotOffered(errors=[{"detail": "required for route", "pointer": "/partner_id"}])
    if str(body.partner_id) not in row.type_snapshot.get("partner_ids", []):
        raise PartnerNotOffered(errors=[{"detail": "not one of the type's partners", "pointer": "/partner_id"}])
    if row.share_consent_at is None:
        raise ConsentRequired(
            errors=[{"detail": "the requester gave no consent to share at submission", "pointer": "/partner_id"}]
        )
    return body.partner_id


async def comment(
    repository: RequestRepository,
    identity: Identity,
    request_id: uuid.UUID,
    body: CommentCreate,
    now: dt.datetime,
    *,
    if_match: str | None = None,
) -> RequestEvent:
    """Add a public comment, or an internal note (staff and handlers only); partners must send If-Match."""
    partner = sees_partner_view(identity)
    row = await load_visible(repository, identity, request_id, for_update=partner)
    if partner:  # every partner mutation is conditional (428 without, 412 stale)
        check_version(await if_match_version(if_match), row.version)
    actors = actors_of(identity, row)
    if body.internal and (partner or (Actor.handler not in actors and not identity.has(Role.platform_admin))):
        raise Forbidden(Text("只有社区工作人员可以写内部备注", "Only community staff may write internal notes"))
    event = _event(
        row, "comment", identity.subject, actor_role(identity), now, body=body.body, internal=body.internal, data={}
    )
    repository.add_event(event)
    await repository.flush()
    if row.routed_partner_id is not None and not body.internal:
        await repository.notify_partner(
            row.routed_partner_id,
            "RequestCommented",
            {"request_id": str(row.id), "author_role": actor_role(identity), "body": body.body},
            now,
        )
    return event


async def timeline(repository: RequestRepository, identity: Identity, request_id: uuid.UUID) -> list[TimelineEntry]:
    """History, comments, escalations and ratings in order; requesters never see internal notes.

    A partner sees no internal note, no other actor's subject (role only) and no rating comment.
    """
    row = await load_visible(repository, identity, request_id)
    partner = sees_partner_view(identity)
    sees_internal = not partner and (identity.has(Role.platform_admin) or Actor.handler in actors_of(identity, row))
    events = await repository.timeline(row.id, include_internal=sees_internal)
    entries = [TimelineEntry.model_validate(event, from_attributes=True) for event in events]
    return [_for_partner(entry, identity) for entry in entries] if partner else entries


def _for_partner(entry: TimelineEntry, identity: Identity) -> TimelineEntry:
    rating_text = entry.kind == "rating" or "rating" in entry.data
    return entry.model_copy(
        update={
            "actor_subject": entry.actor_subject if entry.actor_subject == identity.subject else None,
            "body": None if rating_text else entry.body,
        }
    )


async def rate(
    repository: RequestRepository, identity: Identity, request_id: uuid.UUID, body: RatingCreate, now: dt.datetime
) -> ServiceRequest:
    """The requester rates a resolved request (好差评).

    A first rating of 3-5 closes it. 1-2 reopens it: staff owe a return visit within 1 working day,
    the handler a rectification within 15. After that, one follow-up rating closes it, good or bad.
    """
    row = await load_visible(repository, identity, request_id, for_update=True)
    if Actor.requester not in actors_of(identity, row):
        raise Forbidden(Text("只有申请人可以评价", "Only the requester may rate"))
    if row.status != Status.resolved.value:
        raise NotRateable(extra={"status_now": row.status})
    follow_up = row.rating is not None and row.rating <= BAD_RATING
    if follow_up and row.follow_up_rating is not None:
        raise AlreadyRated()
    reopen = not follow_up and body.score <= BAD_RATING
    if follow_up:
        row.follow_up_rating, row.follow_up_rated_at = body.score, now
    else:
        row.rating, row.rating_comment, row.rated_at = body.score, body.comment, now
    role = actor_role(identity)
    data = {"score": body.score, "follow_up": follow_up}
    repository.add_event(
        _event(row, "rating", identity.subject, role, now, body=body.comment, internal=False, data=data)
    )
    rule = workflow.BY_ACTION[Action.reopen if reopen else Action.close]
    reason = body.comment or ("评价不满意,重新整改" if reopen else None)
    await _move(
        repository, row, rule, actor=identity.subject, role=role, reason=reason, now=now, data={"rating": body.score}
    )
    if reopen:
        visit = (await current_calendar(repository.session)).add_working_days(now, RETURN_VISIT_WORKING_DAYS)
        row.return_visit_due_at = visit.due_at
        row.deadlines_provisional = row.deadlines_provisional or visit.provisional
    await record(
        repository.session,
        "RequestRated",
        row.id,
        {
            "request_id": str(row.id),
            "score": body.score,
            "follow_up": follow_up,
            "reopened": reopen,
            "community_id": str(row.community_id),
        },
    )
    return row


async def return_visit(
    repository: RequestRepository, identity: Identity, request_id: uuid.UUID, body: ReturnVisitCreate, now: dt.datetime
) -> ServiceRequest:
    """Staff record the return visit (回访) owed to a requester after a bad rating."""
    row = await load_visible(repository, identity, request_id, for_update=True)
    if Actor.staff not in actors_of(identity, row):
        raise Forbidden(Text("只有社区工作人员可以回访", "Only community staff make return visits"))
    if row.return_visit_due_at is None:
        raise NoReturnVisitOwed()
    if row.return_visited_at is not None:
        raise ReturnVisitRecorded()
    row.return_visited_at = now
    row.updated_at = now
    row.version += 1
    repository.add_event(
        _event(
            row,
            "return_visit",
            identity.subject,
            actor_role(identity),
            now,
            body=body.notes,
            internal=False,
            data={"on_time": now <= row.return_visit_due_at},
        )
    )
    await record(
        repository.session,
        "RequestReturnVisited",
        row.id,
        {"request_id": str(row.id), "on_time": now <= row.return_visit_due_at, "community_id": str(row.community_id)},
    )
    await repository.flush()
    return row


def list_filters(
    *,
    status: Status | None,
    category: str | None,
    scenario: str | None,
    type_id: uuid.UUID | None,
    community_id: uuid.UUID | None,
    overdue: bool | None,
    created_from: dt.date | None,
    created_to: dt.date | None,
    now: dt.datetime,
) -> list[ColumnElement[bool]]:
    """WHERE clauses of the list's filters; dates are Shanghai business dates, `created_to` inclusive."""
    filters: list[ColumnElement[bool]] = []
    if status is not None:
        filters.append(ServiceRequest.status == status.value)
    if category is not None:
        filters.append(ServiceRequest.category == category)
    if scenario is not None:
        filters.append(ServiceRequest.scenario == scenario)
    if type_id is not None:
        filters.append(ServiceRequest.type_id == type_id)
    if community_id is not None:
        filters.append(ServiceRequest.community_id == community_id)
    if overdue is not None:
        clause = overdue_clause(now)
        filters.append(clause if overdue else ~clause)
    if created_from is not None:
        filters.append(ServiceRequest.created_at >= shanghai_midnight(created_from))
    if created_to is not None:
        filters.append(ServiceRequest.created_at < shanghai_midnight(created_to + dt.timedelta(days=1)))
    return filters


def shanghai_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI)


async def stats(
    repository: RequestRepository, identity: Identity, community_id: uuid.UUID, start: dt.date, end: dt.date
) -> RequestStats:
    """Community figures for requests created from `start` to `end` (inclusive, Shanghai dates)."""
    if not identity.staff_of(community_id):
        raise Forbidden(Text("只能查看本社区的统计", "You may only see your own community's figures"))
    figures = await repository.stats(
        community_id, shanghai_midnight(start), shanghai_midnight(end + dt.timedelta(days=1))
    )
    return RequestStats.model_validate({"community_id": community_id, "from_date": start, "to_date": end, **figures})


async def escalate_due(session: AsyncSession, now: dt.datetime, batch: int = 200) -> int:
    """Escalate open requests at 1x and 3x their resolve deadline: timeline row and RequestOverdue event."""
    repository = RequestRepository(session)
    rows = await repository.due_for_escalation(now, batch)
    for row in rows:
        allowed = row.resolve_due_at - row.clock_started_at
        reached = 2 if row.clock_started_at + allowed * 3 <= now else 1
        for level in range(row.escalation_level + 1, reached + 1):
            repository.add_event(
                _event(
                    row,
                    "escalation",
                    SYSTEM_SUBJECT,
                    "system",
                    now,
                    body=None,
                    internal=False,
                    data={"level": level, "multiple": 3 if level == 2 else 1},
                )
            )
            await record(
                session,
                "RequestOverdue",
                row.id,
                {
                    "request_id": str(row.id),
                    "level": level,
                    "multiple": 3 if level == 2 else 1,
                    "resolve_due_at": row.resolve_due_at.isoformat(),
                    "community_id": str(row.community_id),
                    "routed_partner_id": str(row.routed_partner_id) if row.routed_partner_id else None,
                },
            )
        row.escalation_level = reached
    visits = await repository.return_visits_overdue(now, batch)
    for row in visits:
        due = row.return_visit_due_at
        assert due is not None  # the query selects only requests that owe a visit
        data = {"deadline": "return_visit", "return_visit_due_at": due.isoformat()}
        repository.add_event(
            _event(row, "escalation", SYSTEM_SUBJECT, "system", now, body=None, internal=False, data=data)
        )
        await record(
            session,
            "RequestReturnVisitOverdue",
            row.id,
            {"request_id": str(row.id), "community_id": str(row.community_id), **data},
        )
        row.return_visit_escalated = True
    await repository.flush()
    return len(rows) + len(visits)


async def close_unrated(session: AsyncSession, now: dt.datetime, batch: int = 200) -> int:
    """Close resolved requests nobody rated within 7 days."""
    repository = RequestRepository(session)
    rows = await repository.unrated_since(now - AUTO_CLOSE_AFTER, batch)
    rule = workflow.BY_ACTION[Action.close]
    for row in rows:
        await _move(repository, row, rule, actor=SYSTEM_SUBJECT, role="system", reason="7 天未评价自动关闭", now=now)
    return len(rows)


def _running_deadlines(row: ServiceRequest, calendar: WorkingCalendar) -> tuple[Deadline | None, Deadline]:
    """The acknowledge (while unmet) and resolve deadlines as `calendar` counts them, pauses left out."""
    policy = row.type_snapshot["deadlines"]
    acknowledge = None
    if row.acknowledged_at is None:
        unit = DeadlineUnit(policy["acknowledge"]["unit"])
        acknowledge = calendar.deadline(row.created_at, policy["acknowledge"]["amount"], unit)
    if row.reopen_count > 0:  # the rectification clock of a reopened request
        resolve = calendar.add_working_days(row.clock_started_at, RECTIFICATION_WORKING_DAYS)
    else:
        resolve = calendar.deadline(
            row.clock_started_at, policy["resolve"]["amount"], DeadlineUnit(policy["resolve"]["unit"])
        )
    return acknowledge, resolve


async def recompute_deadlines(
    repository: RequestRepository, before: WorkingCalendar, after: WorkingCalendar, year: int, now: dt.datetime
) -> int:
    """Recompute the running deadlines a calendar change touches; each change is a `deadline` timeline row.

    The resolve deadline moves by the difference between the two calendars' counts, so time already
    spent waiting for the requester stays added. Returns how many requests changed.
    """
    start = dt.datetime.combine(dt.date(year, 1, 1), dt.time(0), tzinfo=SHANGHAI)
    end = dt.datetime.combine(dt.date(year + 1, 1, 1), dt.time(0), tzinfo=SHANGHAI)
    changed = 0
    for row in await repository.running_deadlines_reaching(start, end):
        _, old_resolve = _running_deadlines(row, before)
        new_acknowledge, new_resolve = _running_deadlines(row, after)
        acknowledge_due_at = new_acknowledge.due_at if new_acknowledge is not None else row.acknowledge_due_at
        resolve_due_at = row.resolve_due_at + (new_resolve.due_at - old_resolve.due_at)
        provisional = new_resolve.provisional or (new_acknowledge is not None and new_acknowledge.provisional)
        moves = {
            "acknowledge_due_at": (row.acknowledge_due_at, acknowledge_due_at),
            "resolve_due_at": (row.resolve_due_at, resolve_due_at),
            "provisional": (row.deadlines_provisional, provisional),
        }
        if all(old == new for old, new in moves.values()):
            continue
        data = {
            "reason": "calendar_loaded",
            "year": year,
            **{
                name: {"from": _json_value(old), "to": _json_value(new)}
                for name, (old, new) in moves.items()
                if old != new
            },
        }
        row.acknowledge_due_at = acknowledge_due_at
        row.resolve_due_at = resolve_due_at
        row.deadlines_provisional = provisional
        row.updated_at = now
        repository.add_event(
            _event(
                row,
                "deadline",
                SYSTEM_SUBJECT,
                "system",
                now,
                body=f"{year} 年工作日历已加载,期限重算 / the {year} working-day calendar was loaded",
                internal=False,
                data=data,
            )
        )
        await repository.flush()
        await record(
            repository.session,
            "RequestDeadlinesRecomputed",
            row.id,
            {"request_id": str(row.id), "community_id": str(row.community_id), "version": row.version, **data},
        )
        changed += 1
    return changed


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value
