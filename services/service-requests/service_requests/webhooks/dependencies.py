"""Dependencies of the webhook endpoints domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service_requests.webhooks.repository import WebhookRepository
from shared.db import SessionDep


def webhook_repository(session: SessionDep) -> WebhookRepository:
    return WebhookRepository(session)


WebhookRepositoryDep = Annotated[WebhookRepository, Depends(webhook_repository)]
