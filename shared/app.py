"""The FastAPI factory every service uses: lifespan, middleware, handlers, health, roles in OpenAPI."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Table
from starlette.middleware import Middleware

from shared.auth import InternalTokenVerifier, route_roles
from shared.concurrency import if_match_version, optional_if_match_version
from shared.db import create_engine, create_sessionmaker
from shared.draining import DrainRefusedBody
from shared.errors import (
    ConstraintProblem,
    describe_codes,
    install_problem_handlers,
    open311_error_response,
    problem_responses,
)
from shared.express import Endpoint, ExpressRoutes
from shared.health import router as health_router
from shared.idempotency import expire_keys
from shared.nul import RefuseNul
from shared.observability import RequestContextMiddleware, configure_logging
from shared.query import OPEN311_PREFIX, UndeclaredMethods, refuse_unknown_query
from shared.routes import RouteInfo, needs_dependency, walk_routes
from shared.runtime import settle_heap
from shared.settings import PlatformSettings
from shared.uow import Resource

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
    resources: Sequence[Resource] = (),
    express_routes: Sequence[Endpoint] = (),
    large_bodies: Sequence[tuple[str, int]] = (),
) -> FastAPI:
    """Build a service app. Its one lifespan owns every long-lived resource: the engine and
    sessionmaker, then each of `resources` in order (closed in reverse), then the background tasks.

    `express_routes`: endpoints of `routers` served by the express layer (`shared/express.py`).
    `large_bodies`: (path prefix, byte limit) pairs allowed more than the 1 MiB body limit (signed uploads)."""
    configure_logging(settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.async_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            prepared_statements=settings.db_prepared_statements is not False,
        )
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        opened = contextlib.AsyncExitStack()
        for resource in resources:
            await opened.enter_async_context(resource(app))
        every = [*background_tasks, *([expire_keys(idempotency_table)] if idempotency_table is not None else [])]
        tasks = [asyncio.create_task(task(app), name=task.__name__) for task in every]
        settle_heap()
        try:
            yield
        finally:
            for running in tasks:
                running.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await opened.aclose()
            await engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        telemetry=NO_OPENTELEMETRY,
        dependencies=[Depends(refuse_unknown_query)],
    )
    app.state.settings = settings
    app.state.service_name = name
    app.state.token_verifier = InternalTokenVerifier(settings.internal_token_secret.get_secret_value())
    install_problem_handlers(app, constraint_problems)
    app.include_router(health_router)
    for router in routers:
        app.include_router(router)
    document_roles(app)
    app.add_middleware(RequestContextMiddleware, service=name, large_bodies=tuple(large_bodies))
    app.add_middleware(DrainRefusedBody)  # outermost: clients see the 413, not a reset
    app.user_middleware.append(Middleware(RefuseNul))  # inside request context, before any route reads input
    if express_routes:  # inside request context
        app.user_middleware.append(Middleware(ExpressRoutes, service=app, endpoints=tuple(express_routes)))
    app.user_middleware.append(Middleware(UndeclaredMethods, service=app))
    return app


def document_roles(app: FastAPI) -> None:
    """Put each route's role list into its OpenAPI operation, with its 401/403 responses, and make the
    document tell the truth about errors and `If-Match` (see `publish_contract`)."""
    routes = list(walk_routes(app.router))
    for info in routes:
        route = info.route
        roles = route_roles(info.dependencies)
        if roles is None:
            continue
        route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": [str(role) for role in roles]}
        route.description = (route.description or "") + "\n\n**Roles:** " + ", ".join(f"`{r}`" for r in roles)
        # GeoReport v2 has no 401: the Open311 facade answers missing or invalid credentials with 403
        refusals = (403,) if info.path.startswith("/open311/") else (401, 403)
        route.responses = {**problem_responses(*refusals), **route.responses}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            publish_contract(schema, routes)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_METHODS = ("get", "put", "post", "delete", "patch")
IF_MATCH_PATTERN = r'^\s*(W/)?"v[0-9]{1,18}"\s*$'


def publish_contract(schema: dict[str, Any], routes: Sequence[RouteInfo]) -> None:
    """Every error an operation can answer, documented once here rather than on each route: Problem
    Details under `application/problem+json` (FastAPI writes its 422 as `application/json`)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for component in components.values():
        _pattern_decimal_strings(component)
    if_match_routes = {
        (info.path, method.lower())
        for info in routes
        if needs_dependency(info.route, if_match_version)
        and not needs_dependency(info.route, optional_if_match_version)
        for method in info.route.methods or ()
    }
    optional_if_match_routes = {
        (info.path, method.lower())
        for info in routes
        if needs_dependency(info.route, optional_if_match_version)
        for method in info.route.methods or ()
    }
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter["in"] == "header" and parameter["name"].lower() == "idempotency-key":
                    parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 255}
            if (path, method) in if_match_routes | optional_if_match_routes:
                for parameter in parameters:
                    if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
                        parameter["required"] = (path, method) in if_match_routes
                        parameter["schema"] = {"type": "string", "pattern": IF_MATCH_PATTERN}
            statuses = [400]
            if any(parameter["in"] == "path" for parameter in parameters):
                statuses.append(404)
            if "requestBody" in operation:
                statuses.append(413)
            if parameters or "requestBody" in operation:
                statuses.append(422)
            if (path, method) in if_match_routes:
                statuses += [412, 428]
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's, as application/json
            for status, response in problem_responses(*statuses).items():
                responses.setdefault(str(status), response)
            describe_codes(responses)
            for status, response in list(responses.items()):
                if status.startswith(("4", "5")) and path.startswith(OPEN311_PREFIX):
                    responses[status] = open311_error_response(response.get("description", "Error"))


DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"


def _pattern_decimal_strings(node: Any) -> None:
    """Pydantic documents a `Decimal` as `number | string` with any string; the string is a decimal."""
    if isinstance(node, dict):
        branches = node.get("anyOf")
        if isinstance(branches, list) and any(branch.get("type") == "number" for branch in branches):
            for branch in branches:
                if branch == {"type": "string"}:
                    branch["pattern"] = DECIMAL_PATTERN
        for value in node.values():
            _pattern_decimal_strings(value)
    elif isinstance(node, list):
        for value in node:
            _pattern_decimal_strings(value)
