"""The hazard lifecycle as data: its statuses and its transition table, defined once.

reported → rectifying → rectified → verified, or sent back from rectified to rectifying. Served
as JSON at `GET /v1/hazards/transitions`; the model's CHECK, the schemas and the service read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from shared.auth import Role

HazardStatus = Literal["reported", "rectifying", "rectified", "verified"]
HazardAction = Literal["start_rectification", "report_rectified", "verify", "send_back"]
HazardLevel = Literal["general", "major"]

HAZARD_STATUSES: tuple[HazardStatus, ...] = get_args(HazardStatus)
HAZARD_LEVELS: tuple[HazardLevel, ...] = get_args(HazardLevel)
INITIAL: HazardStatus = "reported"
OPEN_STATUSES: tuple[HazardStatus, ...] = ("reported", "rectifying", "rectified")
OVERDUE_STATUSES: tuple[HazardStatus, ...] = ("reported", "rectifying")
"""A hazard in one of these past its deadline is overdue (not yet rectified)."""


@dataclass(frozen=True, slots=True)
class HazardStep:
    sources: tuple[HazardStatus, ...]
    target: HazardStatus
    roles: tuple[Role, ...]


_FIELD = (Role.platform_admin, Role.community_staff, Role.grid_worker)
_STAFF = (Role.platform_admin, Role.community_staff)

HAZARD_TRANSITIONS: dict[HazardAction, HazardStep] = {
    "start_rectification": HazardStep(("reported",), "rectifying", _FIELD),
    "report_rectified": HazardStep(("rectifying",), "rectified", _FIELD),
    "verify": HazardStep(("rectified",), "verified", _STAFF),
    "send_back": HazardStep(("rectified",), "rectifying", _STAFF),
}
