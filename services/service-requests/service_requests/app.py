"""The service requests service's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from service_requests.activities.router import router as activities_router
from service_requests.attachments.public import FILE_PREFIX
from service_requests.attachments.router import router as attachments_router
from service_requests.calendar.router import router as calendar_router
from service_requests.calendar.service import readiness_warnings
from service_requests.catalogue.router import brands_router
from service_requests.catalogue.router import router as catalogue_router
from service_requests.database import platform_tables
from service_requests.exports.router import router as exports_router
from service_requests.jobs import periodic_jobs
from service_requests.open311.router import install_open311_errors
from service_requests.open311.router import router as open311_router
from service_requests.registry_feed import consume_registry_feed
from service_requests.requests.router import router as requests_router
from service_requests.requests.router import submit_request
from service_requests.settings import Settings
from service_requests.webhooks.dispatch import webhook_dispatch
from service_requests.webhooks.router import router as webhooks_router
from shared.about import about_router
from shared.app import create_service_app
from shared.attachments import object_store
from shared.errors import Conflict, ConstraintProblem
from shared.file_routes import MULTIPART_OVERHEAD, local_file_router
from shared.hot_path import hot_path_pool
from shared.i18n import Text
from shared.outbox import event_feed_router

CONSTRAINT_PROBLEMS = {
    "uq_service_type_community_id_code": ConstraintProblem(
        Conflict,
        Text("该社区已有相同编码的服务事项", "The community already has a service type with this code"),
        "/code",
    ),
    "pk_community_brands": ConstraintProblem(
        Conflict, Text("该社区的品牌名称已同时设置", "The community's brand names were set concurrently")
    ),
    "uq_enrollment_active_subject": ConstraintProblem(
        Conflict, Text("您已报名或在候补名单中", "You are already enrolled or waitlisted")
    ),
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; `uvicorn service_requests.app:create_app --factory` serves it."""
    settings = settings or Settings()
    app = create_service_app(
        name="service-requests",
        title="Service requests",
        description="City, enterprise and employee service requests, activities, Open311.",
        settings=settings,
        routers=[
            about_router("/v1/service-types", "service-types"),
            catalogue_router,
            brands_router,
            exports_router,  # before the requests and activities: `/export` is not an id
            requests_router,
            attachments_router,
            local_file_router(FILE_PREFIX),
            activities_router,
            open311_router,
            webhooks_router,
            calendar_router,
            event_feed_router(platform_tables.outbox_event),
        ],
        constraint_problems=CONSTRAINT_PROBLEMS,
        idempotency_table=platform_tables.idempotency_key,
        background_tasks=[
            periodic_jobs,
            hot_path_pool,
            webhook_dispatch,
            *([consume_registry_feed] if settings.registry_feed_enabled else []),
        ],
        resources=[object_store(FILE_PREFIX)],
        large_bodies=[(f"{FILE_PREFIX}/uploads/", settings.attachment_max_bytes + MULTIPART_OVERHEAD)],
        express_routes=[submit_request],  # the submission, without FastAPI's per-request machinery
    )
    install_open311_errors(app)
    app.state.readiness_warnings = readiness_warnings  # `/readyz` stays ready, with a warning
    return app
