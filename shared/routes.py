"""Walk an app's API routes with their full paths and every dependency that guards them.

FastAPI includes routers lazily, so `app.routes` is not flat; this follows the includes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIRouter
from starlette.routing import compile_path


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


_QUERY_NAMES: dict[int, frozenset[str]] = {}


def declared_query(dependant: Dependant) -> frozenset[str]:
    """Every query parameter name (alias) a route and its dependencies declare; cached per route."""
    names = _QUERY_NAMES.get(id(dependant))
    if names is None:
        found: set[str] = set()
        pending = [dependant]
        while pending:
            current = pending.pop()
            found.update(param.alias for param in current.query_params)
            pending.extend(current.dependencies)
        names = frozenset(found)
        _QUERY_NAMES[id(dependant)] = names
    return names


def needs_dependency(route: APIRoute, dependency: Callable[..., Any]) -> bool:
    """Whether `dependency` is solved for `route` (directly or through another dependency)."""
    pending = [route.dependant]
    while pending:
        current = pending.pop()
        if current.call is dependency:
            return True
        pending.extend(current.dependencies)
    return False


def allowed_methods(router: APIRouter, path: str) -> list[str]:
    """The whole `Allow` of a 405: every method of the routes declared with the template that
    routing picked for `path` (the first that matches), not only the first route's."""
    infos = list(walk_routes(router))
    template = next((info.path for info in infos if compile_path(info.path)[0].match(path)), None)
    methods: set[str] = set()
    for info in infos:
        if info.path == template:
            methods |= info.route.methods or set()
    return sorted(methods)


def fixed_path_methods(router: APIRouter) -> dict[str, frozenset[str]]:
    """Methods of each route path without parameters (`/v1/grids/unassigned-buildings`)."""
    methods: dict[str, set[str]] = {}
    for info in walk_routes(router):
        if "{" not in info.path:
            methods.setdefault(info.path, set()).update(info.route.methods or ())
    return {path: frozenset(found) for path, found in methods.items()}
