"""Errors of the hazard ledger."""

from __future__ import annotations

from shared.errors import Conflict, NotFound
from shared.i18n import Text


class HazardNotFound(NotFound):
    code = "HAZARD_NOT_FOUND"
    title = Text("隐患不存在", "Hazard not found")


class HazardTransitionNotAllowed(Conflict):
    code = "HAZARD_TRANSITION_NOT_ALLOWED"
    title = Text("当前状态下不能执行此操作", "This action is not allowed in the hazard's current state")
