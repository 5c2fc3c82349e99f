"""Every list route answers a tampered cursor with 400 INVALID_CURSOR, never a 500.

The sweep finds the routes by their `cursor` query parameter, so a new list endpoint is covered
the day it is added.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from shared.auth import USER_ROLES, Identity
from shared.pagination import encode_cursor
from shared.routes import RouteInfo, walk_routes
from tests.support.identities import auth

SERVICES = {
    "registry": "registry_app",
    "service-requests": "requests_app",
    "elections": "elections_app",
    "grid": "grid_app",
}
TAMPERED = [
    encode_cursor(["not-a-date", "not-a-uuid"]),  # right size, values that do not parse
    encode_cursor(["a", "b", "c"]),  # wrong size for every sort here
    "%%%not-base64",
]


def _list_routes() -> list[tuple[str, RouteInfo]]:
    from elections.app import create_app as elections
    from grid.app import create_app as grid
    from registry.app import create_app as registry
    from service_requests.app import create_app as service_requests

    factories: dict[str, Callable[[], FastAPI]] = {
        "registry": registry,
        "service-requests": service_requests,
        "elections": elections,
        "grid": grid,
    }
    return [
        (name, info)
        for name, factory in factories.items()
        for info in walk_routes(factory().router)
        if info.method == "GET" and any(param.name == "cursor" for param in info.route.dependant.query_params)
    ]


def _everyone() -> Identity:
    """Every user role with matching scopes, so role and scope checks let the request through."""
    community = uuid.uuid4()
    return Identity.model_validate(
        {
            "subject": "cursor-sweep",
            "roles": list(USER_ROLES),
            "community_ids": [community],
            "enterprise_id": uuid.uuid4(),
            "partner_id": uuid.uuid4(),
            "partner_kind": "bank",
        }
    )


@pytest.fixture
def clients(
    registry_app: httpx.AsyncClient,
    requests_app: httpx.AsyncClient,
    elections_app: httpx.AsyncClient,
    grid_app: httpx.AsyncClient,
) -> dict[str, httpx.AsyncClient]:
    return {"registry": registry_app, "service-requests": requests_app, "elections": elections_app, "grid": grid_app}


@pytest.mark.parametrize(("service", "route"), [pytest.param(n, r, id=f"{n} {r.path}") for n, r in _list_routes()])
async def test_a_tampered_cursor_is_a_400(
    service: str, route: RouteInfo, clients: dict[str, httpx.AsyncClient]
) -> None:
    client = clients[service]
    who = _everyone()
    required = {
        param.alias: str(next(iter(who.community_ids))) if "community" in param.alias else str(uuid.uuid4())
        for param in route.route.dependant.query_params
        if param.field_info.is_required()
    }
    path = re.sub(r"\{[^}]+\}", str(next(iter(who.community_ids))), route.path)
    for cursor in TAMPERED:
        answer = await client.get(path, params={**required, "cursor": cursor}, headers=auth(who))
        assert answer.status_code == 400, f"{cursor}: {answer.status_code} {answer.text}"
        assert answer.json()["code"] == "INVALID_CURSOR"
