"""The grid governance service's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from grid.database import platform_tables
from grid.settings import Settings
from shared.about import about_router
from shared.app import create_service_app
from shared.outbox import event_feed_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; `uvicorn grid.app:create_app --factory` serves it."""
    settings = settings or Settings()
    return create_service_app(
        name="grid",
        title="Grid governance",
        description="Grids, grid workers, inspections, hazards, events and N-minute service circles.",
        settings=settings,
        routers=[
            about_router("/v1/grids", "grids"),
            event_feed_router(platform_tables.outbox_event),
        ],
    )
