"""The registry service's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from registry.database import platform_tables
from registry.settings import Settings
from shared.about import about_router
from shared.app import create_service_app
from shared.outbox import event_feed_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; `uvicorn registry.app:create_app --factory` serves it."""
    settings = settings or Settings()
    return create_service_app(
        name="registry",
        title="Registry",
        description="Communities, buildings with dated jurisdiction, enterprises.",
        settings=settings,
        routers=[
            about_router("/v1/communities", "communities"),
            event_feed_router(platform_tables.outbox_event),
        ],
    )
