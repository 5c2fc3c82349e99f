"""The webhook dispatcher, built from the settings for the lifespan task and the standalone worker.

A disabled endpoint is an ops event.
"""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service_requests.database import platform_tables, webhook_tables
from service_requests.settings import Settings
from service_requests.webhooks.delivery import EndpointDisabled, WebhookDispatcher
from shared.db import direct_engine
from shared.outbox import record_event


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


def build_dispatcher(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], listen_engine: AsyncEngine | None = None
) -> WebhookDispatcher:
    """The one dispatcher configuration (`REQUESTS_WEBHOOK_*`), wherever it runs (LISTEN on `listen_engine`)."""
    return WebhookDispatcher(
        sessionmaker,
        webhook_tables,
        allow_private=settings.webhooks_allow_private,
        schedule=settings.webhook_retry_schedule,
        lease=dt.timedelta(seconds=settings.webhook_lease_seconds),
        timeout_seconds=settings.webhook_timeout_seconds,
        poll_seconds=settings.webhook_poll_seconds,
        on_endpoint_disabled=endpoint_disabled_recorder(sessionmaker),
        listen_engine=listen_engine,
    )


async def webhook_dispatch(app: FastAPI) -> None:
    """Runs `WebhookDispatcher.run()` unless `REQUESTS_WEBHOOK_DISPATCHER_ENABLED=false`."""
    settings: Settings = app.state.settings
    if not settings.webhook_dispatcher_enabled:
        return
    async with direct_engine(settings.async_database_direct_url, settings.async_database_url) as listen_engine:
        await build_dispatcher(settings, app.state.sessionmaker, listen_engine).run()
