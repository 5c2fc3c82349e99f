"""The workflow: moving a request along its transition table (requests/workflow.py), comments, the timeline."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from service_requests.calendar.service import current_calendar
from service_requests.requests import workflow
from service_requests.requests.exceptions import (
    ActionNotPermitted,
    ConsentRequired,
    IllegalTransition,
    OutcomeKindMismatch,
    OutcomeNotAllowed,
    OutcomeRequired,
    PartnerNotOffered,
    ReasonRequired,
    RequestNotFound,
    RequestNotVisible,
)
from service_requests.requests.models import RequestEvent, ServiceRequest
from service_requests.requests.repository import RequestRepository
from service_requests.requests.schemas import (
    CommentCreate,
    PartnerRequestRead,
    RequestRead,
    Timeline,
    TimelineEntry,
    TransitionCreate,
)
from service_requests.requests.submission import routed_data
from service_requests.requests.views import actor_role, actors_of, allowed_actions, sees_partner_view, to_view
from service_requests.requests.workflow import Action, Actor, Status
from shared.auth import Identity, Role
from shared.concurrency import check_version, if_match_version
from shared.errors import Forbidden
from shared.i18n import Text
from shared.uow import UnitOfWork

RECTIFICATION_WORKING_DAYS = 15
SYSTEM_SUBJECT = "system:service-requests"
# the outcome kind a partner of each handler kind reports when it resolves
OUTCOME_KIND = {"bank": "financing", "mcn": "mcn_campaign"}


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


def people(row: ServiceRequest) -> dict[str, Any]:
    """Who a notice about the request concerns, by subject, and its short title (never names or phones)."""
    return {
        "requester_subject": row.requester_subject,
        "assignee_subject": row.assignee_subject,
        "enterprise_id": str(row.enterprise_id) if row.enterprise_id else None,
        "title": row.type_snapshot.get("name_zh"),
        "title_en": row.type_snapshot.get("name_en"),
    }


def new_event(row: ServiceRequest, kind: str, actor: str, role: str, now: dt.datetime, **fields: Any) -> RequestEvent:
    return RequestEvent(
        id=uuid.uuid4(), request_id=row.id, kind=kind, actor_subject=actor, actor_role=role, created_at=now, **fields
    )


async def move(
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
        rectification = (await current_calendar(repository.uow)).add_working_days(now, RECTIFICATION_WORKING_DAYS)
        row.resolve_due_at = rectification.due_at
        row.deadlines_provisional = rectification.provisional
        row.escalation_level = 0
        row.outcome = None
    row.status = target.value
    row.updated_at = now
    repository.add_event(
        new_event(
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
    await repository.record(
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
            **people(row),
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
    uow: UnitOfWork,
    identity: Identity,
    request_id: uuid.UUID,
    expected_version: int,
    body: TransitionCreate,
    now: dt.datetime,
) -> RequestRead | PartnerRequestRead:
    """Move a request along the transition table: 412 stale, 409 illegal (with allowed actions), 403 not yours."""
    repository = uow.repository(RequestRepository)
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
    await move(
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
        await repository.notify_partner(row.routed_partner_id, "RequestRouted", routed_data(row), now)
    return to_view(row, identity, now)


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
    uow: UnitOfWork,
    identity: Identity,
    request_id: uuid.UUID,
    body: CommentCreate,
    now: dt.datetime,
    *,
    if_match: str | None = None,
) -> TimelineEntry:
    """Add a public comment, or an internal note (staff and handlers only); partners must send If-Match."""
    repository = uow.repository(RequestRepository)
    partner = sees_partner_view(identity)
    row = await load_visible(repository, identity, request_id, for_update=partner)
    if partner:  # every partner mutation is conditional (428 without, 412 stale)
        check_version(await if_match_version(if_match), row.version)
    actors = actors_of(identity, row)
    if body.internal and (partner or (Actor.handler not in actors and not identity.has(Role.platform_admin))):
        raise Forbidden(Text("只有社区工作人员可以写内部备注", "Only community staff may write internal notes"))
    event = new_event(
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
    return TimelineEntry.model_validate(event, from_attributes=True)


async def timeline(uow: UnitOfWork, identity: Identity, request_id: uuid.UUID) -> Timeline:
    """History, comments, escalations and ratings in order; requesters never see internal notes.

    A partner sees no internal note, no other actor's subject (role only) and no rating comment.
    """
    repository = uow.repository(RequestRepository)
    row = await load_visible(repository, identity, request_id)
    partner = sees_partner_view(identity)
    sees_internal = not partner and (identity.has(Role.platform_admin) or Actor.handler in actors_of(identity, row))
    events = await repository.timeline(row.id, include_internal=sees_internal)
    entries = [TimelineEntry.model_validate(event, from_attributes=True) for event in events]
    if not partner:
        return Timeline(items=entries)
    # a partner is told only of files of shareable fields (attachments/service.py records `shared`)
    shown = [entry for entry in entries if entry.kind != "attachment" or entry.data.get("shared") is True]
    return Timeline(items=[_for_partner(entry, identity) for entry in shown])


def _for_partner(entry: TimelineEntry, identity: Identity) -> TimelineEntry:
    rating_text = entry.kind == "rating" or "rating" in entry.data
    return entry.model_copy(
        update={
            "actor_subject": entry.actor_subject if entry.actor_subject == identity.subject else None,
            "body": None if rating_text else entry.body,
        }
    )
