"""Errors of the notification endpoints."""

from __future__ import annotations

from shared.errors import NotFound, ValidationFailed
from shared.i18n import Text


class NotificationNotFound(NotFound):
    # also for another person's notification: whether it exists is not the caller's business
    code = "NOTIFICATION_NOT_FOUND"
    title = Text("通知不存在", "Notification not found")


class NotDeadLettered(NotFound):
    code = "DEAD_LETTER_NOT_FOUND"
    title = Text("死信不存在(或已重新排队)", "No such dead letter (or it was queued again)")


class KindNotConfigurable(ValidationFailed):
    code = "KIND_NOT_CONFIGURABLE"
    title = Text("紧急通知不可退订", "Urgent notifications cannot be switched off")


class ChannelNotOffered(ValidationFailed):
    code = "CHANNEL_NOT_OFFERED"
    title = Text("此类通知不提供该渠道", "This kind of notification is not sent on that channel")


class UnknownTemplate(ValidationFailed):
    code = "UNKNOWN_TEMPLATE"
    title = Text("未知的订阅消息模板", "Unknown subscribe-message template")
