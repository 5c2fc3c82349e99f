"""The elections service's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from elections.database import platform_tables
from elections.settings import Settings
from shared.about import about_router
from shared.app import create_service_app
from shared.outbox import event_feed_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; `uvicorn elections.app:create_app --factory` serves it."""
    settings = settings or Settings()
    return create_service_app(
        name="elections",
        title="Elections",
        description="Legal-entity elections of each community's governance committee.",
        settings=settings,
        routers=[
            about_router("/v1/elections", "elections"),
            event_feed_router(platform_tables.outbox_event),
        ],
    )
