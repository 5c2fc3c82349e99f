"""Problems of the webhook endpoints domain."""

from __future__ import annotations

from shared.errors import Conflict, NotFound
from shared.i18n import Text


class WebhookEndpointNotFound(NotFound):
    code = "WEBHOOK_ENDPOINT_NOT_FOUND"
    title = Text("回调端点不存在", "Webhook endpoint not found")


class WebhookMessageNotFound(NotFound):
    code = "WEBHOOK_MESSAGE_NOT_FOUND"
    title = Text("回调消息不存在", "Webhook message not found")


class WebhookEndpointDisabled(Conflict):
    code = "WEBHOOK_ENDPOINT_DISABLED"
    title = Text("回调端点已停用", "Webhook endpoint is disabled")
