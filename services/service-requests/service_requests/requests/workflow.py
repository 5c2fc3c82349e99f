"""The request lifecycle as one explicit transition table: the single source of truth.

`GET /v1/service-types/{id}/workflow` exports it; the service layer only ever moves a request
along a row of this table. Actor kinds: `handler` (community staff of the request's community,
platform admins, or the partner the request is routed to), `staff` (community staff or admins),
`requester` (the submitter, or the representative of the submitting enterprise), `system` (jobs).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    assigned = "assigned"
    in_progress = "in_progress"
    waiting_for_requester = "waiting_for_requester"
    resolved = "resolved"
    closed = "closed"
    rejected = "rejected"
    cancelled = "cancelled"
    reopened = "reopened"


class Actor(StrEnum):
    handler = "handler"
    partner = "partner"  # the partner the request is routed to (it is also a handler)
    staff = "staff"
    requester = "requester"
    system = "system"


class Action(StrEnum):
    accept = "accept"
    decline = "decline"
    route = "route"
    reject = "reject"
    assign = "assign"
    start = "start"
    request_info = "request_info"
    provide_info = "provide_info"
    resolve = "resolve"
    close = "close"
    cancel = "cancel"
    reopen = "reopen"


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status
    actors: frozenset[Actor]
    needs_reason: bool = False


def _row(
    action: Action, sources: tuple[Status, ...], target: Status, actors: tuple[Actor, ...], needs_reason: bool = False
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(actors), needs_reason)


S, A = Status, Actor
TRANSITIONS: tuple[Transition, ...] = (
    _row(Action.accept, (S.submitted,), S.accepted, (A.handler,)),
    # the routed partner hands the request back to community staff for rerouting
    _row(Action.decline, (S.submitted, S.accepted), S.submitted, (A.partner,), needs_reason=True),
    # staff (re)route to one of the type's partners, e.g. after a decline; needs the recorded consent
    _row(Action.route, (S.submitted, S.accepted), S.submitted, (A.staff,)),
    _row(Action.reject, (S.submitted, S.accepted), S.rejected, (A.handler,), needs_reason=True),
    _row(Action.assign, (S.accepted, S.reopened), S.assigned, (A.staff,)),
    # a handler may start what it accepted itself (a routed partner cannot be assigned by staff)
    _row(Action.start, (S.accepted, S.assigned, S.reopened), S.in_progress, (A.handler,)),
    _row(Action.request_info, (S.in_progress,), S.waiting_for_requester, (A.handler,), needs_reason=True),
    _row(Action.provide_info, (S.waiting_for_requester,), S.in_progress, (A.requester,), needs_reason=True),
    _row(Action.resolve, (S.in_progress,), S.resolved, (A.handler,), needs_reason=True),
    _row(Action.close, (S.resolved,), S.closed, (A.requester, A.staff, A.system)),
    _row(Action.cancel, (S.submitted, S.accepted), S.cancelled, (A.requester,)),
    _row(Action.reopen, (S.resolved,), S.reopened, (A.requester, A.staff), needs_reason=True),
)
BY_ACTION: dict[Action, Transition] = {transition.action: transition for transition in TRANSITIONS}

INITIAL = Status.submitted
TERMINAL = frozenset({Status.closed, Status.rejected, Status.cancelled})
PAUSES_CLOCK = frozenset({Status.waiting_for_requester})
# states in which the handler still owes work (deadlines and escalation apply)
OPEN_FOR_HANDLER = frozenset({Status.submitted, Status.accepted, Status.assigned, Status.in_progress, Status.reopened})
# an accepted (or rejected) request has been acknowledged
ACKNOWLEDGING = frozenset({Action.accept, Action.reject})


def available(status: Status, actors: frozenset[Actor]) -> list[Action]:
    """The actions `actors` may take from `status`, in table order."""
    return [t.action for t in TRANSITIONS if status in t.sources and not actors.isdisjoint(t.actors)]
