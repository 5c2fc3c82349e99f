"""The grid-event transition table: every action, where it may start, where it leads, who may take it.

It is data, served as JSON at `GET /v1/grid-events/transitions`, and the service applies nothing else;
the statuses and supervision levels are defined here once, read by the model's CHECK constraints and
the schemas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from shared.auth import Role

EventStatus = Literal[
    "reported", "accepted", "declined", "dispatched", "handling", "handled", "fed_back", "verified", "closed"
]
EventAction = Literal[
    "accept",
    "decline",
    "dispatch",
    "start_handling",
    "handle",
    "feedback",
    "verify",
    "send_back",
    "close",
    "escalate",
    "request_extension",
    "decide_extension",
]
SupervisionLevel = Literal["normal", "yellow", "red"]
HandlerType = Literal["grid_worker", "department", "property_manager", "social_work_station"]

EVENT_STATUSES: tuple[EventStatus, ...] = get_args(EventStatus)
SUPERVISION_LEVELS: tuple[SupervisionLevel, ...] = get_args(SupervisionLevel)
HANDLER_TYPES: tuple[HandlerType, ...] = get_args(HandlerType)
INITIAL: EventStatus = "reported"
TERMINAL: tuple[EventStatus, ...] = ("declined", "closed")
LATE_STATUSES: tuple[EventStatus, ...] = ("dispatched", "handling")
"""An event in one of these past its deadline is under supervision (yellow, then red)."""


@dataclass(frozen=True, slots=True)
class EventStep:
    sources: tuple[EventStatus, ...]
    target: EventStatus | None  # None: the status stays (extensions, escalation)
    roles: tuple[Role, ...]
    handler_only: bool = False  # a grid worker may take it only as the event's handler
    description: str = ""


STAFF = (Role.platform_admin, Role.community_staff)
FIELD = (Role.platform_admin, Role.community_staff, Role.grid_worker)
OPEN_STATUSES: tuple[EventStatus, ...] = tuple(status for status in EVENT_STATUSES if status not in TERMINAL)

EVENT_TRANSITIONS: dict[EventAction, EventStep] = {
    "accept": EventStep(("reported",), "accepted", FIELD, description="受理 accept the report"),
    "decline": EventStep(("reported",), "declined", STAFF, description="不予受理 decline (duplicate, out of scope)"),
    "dispatch": EventStep(("accepted",), "dispatched", STAFF, description="派遣 dispatch to a handler with a deadline"),
    "start_handling": EventStep(("dispatched",), "handling", FIELD, True, "处置 the handler starts"),
    "handle": EventStep(("handling",), "handled", FIELD, True, "处置完成 the handler reports the result"),
    "feedback": EventStep(("handled",), "fed_back", FIELD, description="反馈 the result is told to the reporter"),
    "verify": EventStep(("fed_back",), "verified", STAFF, description="核查 the community checks the result"),
    "send_back": EventStep(("handled", "fed_back"), "handling", STAFF, description="退回 not good enough: redo"),
    "close": EventStep(("verified",), "closed", STAFF, description="结案 close with an evaluation"),
    "escalate": EventStep(
        ("reported", "accepted", "dispatched", "handling"),
        None,
        FIELD,
        description="上报社区 escalate to the community",
    ),
    "request_extension": EventStep(("dispatched", "handling"), None, FIELD, True, "申请延期 ask for more time"),
    "decide_extension": EventStep(("dispatched", "handling"), None, STAFF, description="审批延期 grant or refuse"),
}


def transition_table() -> dict[str, Any]:
    """The table as JSON: actions, statuses, and the supervision rule."""
    return {
        "statuses": [*OPEN_STATUSES, *TERMINAL],
        "initial": INITIAL,
        "terminal": list(TERMINAL),
        "actions": {
            action: {
                "from": list(step.sources),
                "to": step.target,
                "roles": [str(role) for role in step.roles],
                "grid_worker_only_as_handler": step.handler_only,
                "description": step.description,
            }
            for action, step in EVENT_TRANSITIONS.items()
        },
        "supervision": {
            "levels": list(SUPERVISION_LEVELS),
            "yellow": "past the deadline while dispatched or handling",
            "red": "more than 48 hours past the deadline",
        },
    }
