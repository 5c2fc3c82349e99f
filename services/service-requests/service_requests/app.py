"""The service requests service's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from service_requests.database import platform_tables
from service_requests.settings import Settings
from shared.about import about_router
from shared.app import create_service_app
from shared.outbox import event_feed_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; `uvicorn service_requests.app:create_app --factory` serves it."""
    settings = settings or Settings()
    return create_service_app(
        name="service-requests",
        title="Service requests",
        description="City, enterprise and employee service requests, activities, Open311.",
        settings=settings,
        routers=[
            about_router("/v1/service-types", "service-types"),
            event_feed_router(platform_tables.outbox_event),
        ],
    )
