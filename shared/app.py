"""The FastAPI factory every service uses: lifespan, middleware, handlers, health, roles in OpenAPI."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Table
from starlette.middleware import Middleware

from shared.auth import InternalTokenVerifier, route_roles
from shared.db import create_engine, create_sessionmaker
from shared.draining import DrainRefusedBody
from shared.errors import ConstraintProblem, install_problem_handlers, problem_responses
from shared.express import ExpressRoutes
from shared.health import router as health_router
from shared.idempotency import expire_keys
from shared.nul import RefuseNul
from shared.observability import RequestContextMiddleware, configure_logging
from shared.routes import walk_routes
from shared.runtime import settle_heap
from shared.settings import PlatformSettings

BackgroundTask = Callable[[FastAPI], Coroutine[Any, Any, None]]

# FastAPI's native OpenTelemetry hooks look up the global providers (and read the environment) on
# every request even when nothing is configured: ~6% of a service's CPU under load (py-spy).
# Traces here are W3C `traceparent` ids in logs and metrics are Prometheus (shared/observability.py).
NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 Problem Details",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "example": "urn:binjiang:problem:not-found"},
        "title": {"type": "string", "example": "资源不存在"},
        "status": {"type": "integer", "example": 404},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable UPPER_SNAKE code", "example": "NOT_FOUND"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                    "pointer": {"type": "string", "description": "JSON Pointer into the body"},
                    "parameter": {"type": "string", "description": "Query or path parameter"},
                    "header": {"type": "string"},
                },
            },
        },
        "trace_id": {"type": "string"},
    },
}


def create_service_app(
    *,
    name: str,
    title: str,
    description: str,
    settings: PlatformSettings,
    routers: Sequence[APIRouter],
    constraint_problems: Mapping[str, ConstraintProblem] | None = None,
    background_tasks: Sequence[BackgroundTask] = (),
    version: str = "0.1.0",
    idempotency_table: Table | None = None,
) -> FastAPI:
    """Build a service app; engine, sessionmaker and clients are created once, in lifespan."""
    configure_logging(settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.async_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        every = [*background_tasks, *([expire_keys(idempotency_table)] if idempotency_table is not None else [])]
        tasks = [asyncio.create_task(task(app), name=task.__name__) for task in every]
        settle_heap()
        try:
            yield
        finally:
            for running in tasks:
                running.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan, telemetry=NO_OPENTELEMETRY)
    app.state.settings = settings
    app.state.service_name = name
    app.state.token_verifier = InternalTokenVerifier(settings.internal_token_secret.get_secret_value())
    install_problem_handlers(app, constraint_problems)
    app.include_router(health_router)
    for router in routers:
        app.include_router(router)
    document_roles(app)
    app.add_middleware(RequestContextMiddleware, service=name)
    app.add_middleware(DrainRefusedBody)  # outermost: clients see the 413, not a reset
    app.user_middleware.append(Middleware(RefuseNul))  # inside request context, before any route reads input
    app.user_middleware.append(Middleware(ExpressRoutes, service=app))  # innermost: inside request context
    return app


def document_roles(app: FastAPI) -> None:
    """Put each route's role list into its OpenAPI operation, with its 401/403 responses."""
    for info in walk_routes(app.router):
        route = info.route
        roles = route_roles(info.dependencies)
        if roles is None:
            continue
        route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": [str(role) for role in roles]}
        route.description = (route.description or "") + "\n\n**Roles:** " + ", ".join(f"`{r}`" for r in roles)
        route.responses = {**problem_responses(401, 403), **route.responses}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
