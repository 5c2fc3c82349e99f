"""Walk an app's API routes with their full paths and every dependency that guards them.

FastAPI includes routers lazily, so `app.routes` is not flat; this follows the includes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute, APIRouter


@dataclass(frozen=True, slots=True)
class RouteInfo:
    path: str
    route: APIRoute
    dependencies: tuple[Any, ...]

    @property
    def method(self) -> str:
        return sorted(self.route.methods or {"GET"})[0]


def walk_routes(router: APIRouter, prefix: str = "", inherited: Sequence[Any] = ()) -> Iterator[RouteInfo]:
    """Every APIRoute under `router`, depth first."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            yield RouteInfo(prefix + route.path, route, (*inherited, *route.dependencies))
            continue
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if isinstance(included, APIRouter) and context is not None:
            yield from walk_routes(
                included, prefix + context.prefix, (*inherited, *context.dependencies, *included.dependencies)
            )
