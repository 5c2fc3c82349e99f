"""Errors of the buildings domain."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import Text


class BuildingNotFound(NotFound):
    code = "BUILDING_NOT_FOUND"
    title = Text("楼宇不存在", "Building not found")


class JurisdictionConflict(Conflict):
    code = "JURISDICTION_CONFLICT"
    title = Text("归属时段与已有记录重叠", "The jurisdiction period overlaps the recorded history")


class TransferInvalid(ValidationFailed):
    code = "TRANSFER_INVALID"
    title = Text("划转无效", "Invalid transfer")
