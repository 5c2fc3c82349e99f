"""Every route of every service declares its roles; every other role gets 403, anonymous gets 401.

The sweep reads the role list from the routes themselves, so a new endpoint is covered the day
it is added, and an endpoint without a role list fails here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI

from service_requests.open311.router import PUBLIC_READ_PATHS as OPEN311_PUBLIC_READS
from shared.auth import Role, route_roles
from shared.routes import RouteInfo, walk_routes
from tests.support.identities import auth, minimal_identity

PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
PUBLIC_PATHS |= OPEN311_PUBLIC_READS  # GeoReport v2 reads need no key (docs/service-requests.md)


def _factories() -> dict[str, Callable[[], FastAPI]]:
    from elections.app import create_app as elections
    from grid.app import create_app as grid
    from registry.app import create_app as registry
    from service_requests.app import create_app as service_requests

    return {"registry": registry, "service-requests": service_requests, "elections": elections, "grid": grid}


def _routes() -> Iterator[tuple[str, RouteInfo]]:
    for name, factory in _factories().items():
        for info in walk_routes(factory().router):
            yield name, info


def _concrete_path(path: str) -> str:
    return re.sub(r"\{[^}:]+(:path)?\}", lambda _: str(uuid.uuid4()), path)


ROUTES = [
    pytest.param(name, info, id=f"{name} {info.method} {info.path}")
    for name, info in _routes()
    if info.path not in PUBLIC_PATHS
]


@pytest.fixture(scope="module")
def apps(database_url: str) -> dict[str, FastAPI]:
    # No lifespan: the role check runs before anything touches the database.
    return {name: factory() for name, factory in _factories().items()}


def test_every_route_declares_its_roles() -> None:
    undeclared = [
        f"{name} {info.path}"
        for name, info in _routes()
        if info.path not in PUBLIC_PATHS and route_roles(info.dependencies) is None
    ]
    assert undeclared == []


@pytest.mark.parametrize(("service", "route"), ROUTES)
async def test_only_the_declared_roles_get_through(service: str, route: RouteInfo, apps: dict[str, FastAPI]) -> None:
    allowed = route_roles(route.dependencies) or ()
    method = route.method
    path = _concrete_path(route.path)
    transport = httpx.ASGITransport(app=apps[service], raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        anonymous = await client.request(method, path, json={})
        assert anonymous.status_code == 401, anonymous.text
        for role in Role:
            if role in allowed:
                continue
            refused = await client.request(method, path, json={}, headers=auth(minimal_identity(role)))
            assert refused.status_code == 403, f"{role}: {refused.status_code} {refused.text}"
            assert refused.json()["code"] == "FORBIDDEN"


def test_role_lists_are_published_in_openapi() -> None:
    for name, factory in _factories().items():
        document = factory().openapi()
        for path, operations in document["paths"].items():
            if path in PUBLIC_PATHS:
                continue
            for operation in operations.values():
                assert operation.get("x-roles"), f"{name} {path} has no x-roles"
                assert "403" in operation["responses"] and "401" in operation["responses"]
