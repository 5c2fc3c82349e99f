"""What a caller sees of a request: the actors they are to it, their next actions, the full and partner views."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service_requests.requests import workflow
from service_requests.requests.models import NewRequest, ServiceRequest
from service_requests.requests.schemas import PartnerRequestRead, RequestRead
from service_requests.requests.workflow import Action, Actor, Status
from shared.auth import Identity, Role

RequestRow = ServiceRequest | NewRequest
"""A request as stored (the ORM row) or as just filed on the hot path (its values)."""


def actor_role(identity: Identity) -> str:
    return ",".join(sorted(identity.roles))


def actors_of(identity: Identity, row: RequestRow) -> frozenset[Actor]:
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


def is_overdue(row: RequestRow, now: dt.datetime) -> bool:
    if row.status not in workflow.OPEN_FOR_HANDLER:
        return False
    return bool(row.resolve_due_at < now or (row.acknowledged_at is None and row.acknowledge_due_at < now))


def to_read(row: RequestRow, identity: Identity, now: dt.datetime) -> RequestRead:
    """The API view of a request row (ORM object or Core values), with the caller's next actions."""
    return RequestRead.model_validate(read_fields(row, identity, now))


def sees_partner_view(identity: Identity) -> bool:
    """Partners get `PartnerRequestRead` and a redacted timeline, whatever else they are."""
    return identity.has(Role.partner)


def to_view(row: RequestRow, identity: Identity, now: dt.datetime) -> RequestRead | PartnerRequestRead:
    """The view the caller is entitled to: the partner view for partners, the full one for the others."""
    return to_partner_read(row, identity, now) if sees_partner_view(identity) else to_read(row, identity, now)


def to_partner_read(row: RequestRow, identity: Identity, now: dt.datetime) -> PartnerRequestRead:
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


def allowed_actions(row: RequestRow, actors: frozenset[Actor]) -> list[Action]:
    """The table's actions for these actors, less `route` when the type has no partner or no consent."""
    actions = workflow.available(Status(row.status), actors)
    if not row.type_snapshot.get("partner_ids") or row.share_consent_at is None:
        actions = [action for action in actions if action is not Action.route]
    return actions


def read_fields(row: RequestRow, identity: Identity, now: dt.datetime) -> dict[str, Any]:
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
