"""Errors of grid events."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import Text


class EventNotFound(NotFound):
    code = "GRID_EVENT_NOT_FOUND"
    title = Text("网格事件不存在", "Grid event not found")


class EventTransitionNotAllowed(Conflict):
    code = "EVENT_TRANSITION_NOT_ALLOWED"
    title = Text("事件当前状态下不能执行此操作", "This action is not allowed in the event's current state")


class EventTransitionInvalid(ValidationFailed):
    code = "EVENT_TRANSITION_INVALID"
    title = Text("操作缺少必要信息", "The action lacks required information")


class NoPendingExtension(Conflict):
    code = "NO_PENDING_EXTENSION"
    title = Text("没有待审批的延期申请", "There is no pending extension request")
