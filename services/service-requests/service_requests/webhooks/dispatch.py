"""The webhook dispatcher as a lifespan background task; a disabled endpoint is an ops event."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service_requests.database import platform_tables, webhook_tables
from shared.outbox import record_event
from shared.webhooks import EndpointDisabled, WebhookDispatcher


def endpoint_disabled_recorder(sessionmaker: async_sessionmaker[AsyncSession]) -> EndpointDisabled:
    async def on_disabled(endpoint_id: uuid.UUID, reason: str) -> None:
        async with sessionmaker() as session, session.begin():
            await record_event(
                session,
                platform_tables.outbox_event,
                "WebhookEndpointDisabled",
                "webhook_endpoint",
                endpoint_id,
                {"endpoint_id": str(endpoint_id), "reason": reason},
            )

    return on_disabled


async def webhook_dispatch(app: FastAPI) -> None:
    """Runs `WebhookDispatcher.run()` unless `REQUESTS_WEBHOOK_DISPATCHER_ENABLED=false`."""
    settings = app.state.settings
    if not settings.webhook_dispatcher_enabled:
        return
    sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    dispatcher = WebhookDispatcher(
        sessionmaker,
        webhook_tables,
        allow_private=settings.webhooks_allow_private,
        on_endpoint_disabled=endpoint_disabled_recorder(sessionmaker),
    )
    await dispatcher.run()
