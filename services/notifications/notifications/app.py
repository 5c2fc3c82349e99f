"""The notifications service's FastAPI application: inbox, WeChat subscriptions, preferences, delivery."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from notifications.constraints import CONSTRAINT_PROBLEMS
from notifications.database import platform_tables
from notifications.delivery.workers import senders
from notifications.dispatch.feeds import fan_out, feed_clients, feeds
from notifications.identity_client import identity_client
from notifications.inbox.router import router as inbox_router
from notifications.preferences.router import router as preferences_router
from notifications.settings import Settings
from notifications.subscriptions.router import router as subscriptions_router
from shared.about import about_router
from shared.app import create_service_app


def create_app(
    settings: Settings | None = None,
    identity_transport: httpx.AsyncBaseTransport | None = None,
    feed_transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """Build the app; `uvicorn notifications.app:create_app --factory` serves it."""
    settings = settings or Settings()
    app = create_service_app(
        name="notifications",
        title="Notifications",
        description="Everyone hears of what concerns them: the in-app inbox, WeChat subscribe messages, SMS.",
        settings=settings,
        routers=[
            about_router("/v1/notifications", "notifications"),  # before `/v1/notifications/{id}/read`
            subscriptions_router,
            preferences_router,
            inbox_router,
        ],
        constraint_problems=CONSTRAINT_PROBLEMS,
        idempotency_table=platform_tables.idempotency_key,
        resources=[identity_client, feed_clients],
        background_tasks=[feeds, fan_out, senders],
    )
    app.state.identity_transport = identity_transport
    app.state.feed_transports = feed_transports or {}
    return app
