"""The grid-event transition table: every action, where it may start, where it leads, who may take it.

It is data, served as JSON at `GET /v1/grid-events/transitions`, and the service applies nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.auth import Role


@dataclass(frozen=True, slots=True)
class EventStep:
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (extensions, escalation)
    roles: tuple[Role, ...]
    handler_only: bool = False  # a grid worker may take it only as the event's handler
    description: str = ""


STAFF = (Role.platform_admin, Role.community_staff)
FIELD = (Role.platform_admin, Role.community_staff, Role.grid_worker)
OPEN_STATUSES = ("reported", "accepted", "dispatched", "handling", "handled", "fed_back", "verified")

EVENT_TRANSITIONS: dict[str, EventStep] = {
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
        "statuses": [*OPEN_STATUSES, "declined", "closed"],
        "initial": "reported",
        "terminal": ["declined", "closed"],
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
            "levels": ["normal", "yellow", "red"],
            "yellow": "past the deadline while dispatched or handling",
            "red": "more than 48 hours past the deadline",
        },
    }
