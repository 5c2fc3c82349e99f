"""What an attachment belongs to and at which stage of that item it was taken, defined once.

Hazards: found / rectified / verified; grid events: report / handling / verification; inspections
have no stages. The model's CHECKs, the schemas and the service read these.
"""

from __future__ import annotations

from typing import Literal, get_args

ItemKind = Literal["hazard", "grid_event", "inspection"]
HazardStage = Literal["found", "rectified", "verified"]
EventStage = Literal["report", "handling", "verification"]
AttachmentStatus = Literal["pending", "confirmed"]

ITEM_KINDS: tuple[ItemKind, ...] = get_args(ItemKind)
HAZARD_STAGES: tuple[HazardStage, ...] = get_args(HazardStage)
EVENT_STAGES: tuple[EventStage, ...] = get_args(EventStage)
ATTACHMENT_STATUSES: tuple[AttachmentStatus, ...] = get_args(AttachmentStatus)
STAGES_OF: dict[ItemKind, tuple[str, ...]] = {"hazard": HAZARD_STAGES, "grid_event": EVENT_STAGES, "inspection": ()}
