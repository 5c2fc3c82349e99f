"""The grid governance service's FastAPI application."""

from __future__ import annotations

import functools

import httpx
from fastapi import FastAPI

from grid.attachments.public import FILE_PREFIX
from grid.attachments.router import event_attachments, hazard_attachments, inspection_attachments
from grid.campaigns.router import router as campaigns_router
from grid.circles.router import circles_router, facilities_router
from grid.constraints import CONSTRAINT_PROBLEMS
from grid.database import platform_tables
from grid.events.router import router as events_router
from grid.exports.router import router as exports_router
from grid.grids.router import internal_router as grids_internal_router
from grid.grids.router import router as grids_router
from grid.hazards.router import router as hazards_router
from grid.inspections.router import router as inspections_router
from grid.inspections.router import stale_router
from grid.jobs import periodic_jobs
from grid.registry.client import registry_client
from grid.registry.feed import consume_registry_feed
from grid.residents.router import router as residents_router
from grid.settings import Settings
from grid.summary.router import router as summary_router
from grid.workers.router import duties_router
from grid.workers.router import router as workers_router
from shared.about import about_router
from shared.app import create_service_app
from shared.attachments import object_store
from shared.file_routes import MULTIPART_OVERHEAD, local_file_router
from shared.outbox import event_feed_router


def create_app(settings: Settings | None = None, registry_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Build the app; `uvicorn grid.app:create_app --factory` serves it.

    `registry_transport` lets tests put the registry app in-process instead of on a port.
    """
    settings = settings or Settings()
    return create_service_app(
        name="grid",
        title="Grid governance",
        description="Grids, grid workers, inspections, hazards, events and N-minute service circles.",
        settings=settings,
        routers=[
            about_router("/v1/grids", "grids"),
            exports_router,  # first: `/v1/hazards/export` ... are not ids
            residents_router,  # first: `/v1/grid-events/mine`, `/v1/hazards/mine` ... are not ids
            campaigns_router,  # before grids_router: `/v1/grids/campaigns` is not a grid id
            grids_router,
            duties_router,
            workers_router,
            stale_router,
            summary_router,
            inspections_router,
            hazards_router,
            hazard_attachments,
            events_router,
            event_attachments,
            inspection_attachments,
            local_file_router(FILE_PREFIX),
            facilities_router,
            circles_router,
            event_feed_router(platform_tables.outbox_event),
            grids_internal_router,
        ],
        constraint_problems=CONSTRAINT_PROBLEMS,
        idempotency_table=platform_tables.idempotency_key,
        resources=[functools.partial(registry_client, transport=registry_transport), object_store(FILE_PREFIX)],
        large_bodies=[(f"{FILE_PREFIX}/uploads/", settings.attachment_max_bytes + MULTIPART_OVERHEAD)],
        background_tasks=[
            *([consume_registry_feed] if settings.registry_feed_enabled else []),
            *([periodic_jobs] if settings.supervision_sweep_enabled else []),
        ],
    )
