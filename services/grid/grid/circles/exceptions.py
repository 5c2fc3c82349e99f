"""Errors of facilities and circles."""

from __future__ import annotations

from shared.errors import NotFound
from shared.i18n import Text


class FacilityNotFound(NotFound):
    code = "FACILITY_NOT_FOUND"
    title = Text("设施不存在", "Facility not found")
