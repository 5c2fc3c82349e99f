"""Every route's roles match the reviewed table in `tests/route_roles.txt`, and the table holds at the door.

The table is written by hand and reviewed (docs/testing.md, "The role table"): a route whose roles
change without the table changing fails here, and so does a route missing from it. From each row:
anonymous gets 401, every role not listed gets 403, and every listed role is let through (its
answer may be 404 or 422 for the made-up ids and empty bodies, never the role refusal).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from grid.attachments.public import PUBLIC_PATHS as GRID_FILE_PATHS
from identity.public import PUBLIC_PATHS as IDENTITY_PUBLIC_PATHS
from service_requests.attachments.public import PUBLIC_PATHS as REQUEST_FILE_PATHS
from service_requests.open311.router import PUBLIC_READ_PATHS as OPEN311_PUBLIC_READS
from shared.auth import Role, route_roles
from shared.routes import walk_routes
from tests.gateway.conftest import InProcessGateway, gateway, gateway_keys  # noqa: F401  (fixtures)
from tests.support.identities import auth, minimal_identity

PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
PUBLIC_PATHS |= OPEN311_PUBLIC_READS  # GeoReport v2 reads need no key (docs/service-requests.md)
PUBLIC_PATHS |= IDENTITY_PUBLIC_PATHS  # the key set and signing in (docs/identity.md)
PUBLIC_PATHS |= GRID_FILE_PATHS | REQUEST_FILE_PATHS  # signed file links: the token is the credential (docs/storage.md)
TABLE = Path(__file__).with_name("route_roles.txt")
# RoleCheck's refusal; a listed role may still meet a scope refusal (another community), worded otherwise.
ROLE_REFUSAL = "Your role may not call this endpoint"
ENGLISH = {"Accept-Language": "en"}


@dataclass(frozen=True)
class Row:
    service: str
    method: str
    path: str
    roles: frozenset[Role]


def _read_table() -> list[Row]:
    rows = []
    for line in TABLE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        service, method, path, roles = line.split()
        rows.append(Row(service, method, path, frozenset(Role(role) for role in roles.split(","))))
    return rows


ROWS = _read_table()


def _factories() -> dict[str, Callable[[], FastAPI]]:
    from elections.app import create_app as elections
    from grid.app import create_app as grid
    from identity.app import create_app as identity
    from notifications.app import create_app as notifications
    from registry.app import create_app as registry
    from service_requests.app import create_app as service_requests

    return {
        "registry": registry,
        "service-requests": service_requests,
        "elections": elections,
        "grid": grid,
        "identity": identity,
        "notifications": notifications,
    }


def _gateway_own_app() -> FastAPI:
    from gateway.app import Gateway
    from gateway.settings import Settings

    return Gateway(Settings(environment="test", database_url="postgresql://unused/unused")).own


def _declared() -> Iterator[tuple[str, str, str, tuple[Role, ...] | None]]:
    apps = {name: factory() for name, factory in _factories().items()} | {"gateway": _gateway_own_app()}
    for name, app in apps.items():
        for info in walk_routes(app.router):
            roles = route_roles(info.dependencies)
            # a public path's routes need no role, except a POST sharing an Open311 read's path
            if info.path in PUBLIC_PATHS and (info.path not in OPEN311_PUBLIC_READS or roles is None):
                continue
            for method in sorted(info.route.methods or {"GET"}):
                yield name, method, info.path, roles


def _concrete_path(path: str) -> str:
    def made_up(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "key_id":
            return "0123456789abcdef"
        if name == "format":
            return "json"
        if name == "kind":
            return "life_15min"
        return str(uuid.uuid4())

    return re.sub(r"\{([^}:]+)(?::path)?\}", made_up, path)


def test_every_route_declares_its_roles() -> None:
    undeclared = [f"{name} {method} {path}" for name, method, path, roles in _declared() if roles is None]
    assert undeclared == []


def test_the_routes_declare_exactly_the_reviewed_roles() -> None:
    declared = {(name, method, path): frozenset(roles or ()) for name, method, path, roles in _declared()}
    table = {(row.service, row.method, row.path): row.roles for row in ROWS}
    assert len(table) == len(ROWS), "a route appears twice in tests/route_roles.txt"
    missing = sorted(f"{' '.join(key)}" for key in declared.keys() - table.keys())
    stale = sorted(f"{' '.join(key)}" for key in table.keys() - declared.keys())
    assert (missing, stale) == ([], []), "add new routes to tests/route_roles.txt, remove gone ones"
    differ = {
        " ".join(key): (sorted(declared[key]), sorted(table[key])) for key in table if declared[key] != table[key]
    }
    assert differ == {}, "route roles (declared, reviewed) differ: change tests/route_roles.txt in the same commit"


@pytest.fixture
def clients(
    registry_app: httpx.AsyncClient,
    requests_app: httpx.AsyncClient,
    elections_app: httpx.AsyncClient,
    grid_app: httpx.AsyncClient,
    identity_app: httpx.AsyncClient,
    notifications_app: httpx.AsyncClient,
) -> dict[str, httpx.AsyncClient]:
    """The six services in process with their lifespans, so admitted calls reach the database."""
    return {
        "registry": registry_app,
        "service-requests": requests_app,
        "elections": elections_app,
        "grid": grid_app,
        "identity": identity_app,
        "notifications": notifications_app,
    }


def _admitted(response: httpx.Response) -> bool:
    if response.status_code == 401:
        return False
    if response.status_code == 403:
        return ROLE_REFUSAL not in response.text
    return True


SERVICE_ROWS = [
    pytest.param(row, id=f"{row.service} {row.method} {row.path}") for row in ROWS if row.service != "gateway"
]
GATEWAY_ROWS = [pytest.param(row, id=f"{row.method} {row.path}") for row in ROWS if row.service == "gateway"]


@pytest.mark.parametrize("row", SERVICE_ROWS)
async def test_each_role_is_refused_or_admitted_as_the_table_says(
    row: Row, clients: dict[str, httpx.AsyncClient]
) -> None:
    client = clients[row.service]
    path = _concrete_path(row.path)
    open311 = row.path.startswith("/open311/")  # GeoReport v2 has no 401 and answers errors as an array
    anonymous = await client.request(row.method, path, json={}, headers=ENGLISH)
    assert anonymous.status_code == (403 if open311 else 401), anonymous.text
    for role in Role:
        answer = await client.request(row.method, path, json={}, headers=ENGLISH | auth(minimal_identity(role)))
        if role in row.roles:
            assert answer.status_code < 500 and _admitted(answer), f"{role}: {answer.status_code} {answer.text}"
        elif open311:
            assert answer.status_code == 403, f"{role}: {answer.status_code} {answer.text}"
            assert ROLE_REFUSAL in " ".join(item["description"] for item in answer.json())
        else:
            assert answer.status_code == 403, f"{role}: {answer.status_code} {answer.text}"
            assert answer.json()["code"] == "FORBIDDEN"
            assert ROLE_REFUSAL in answer.json()["detail"]


@pytest.mark.parametrize("row", GATEWAY_ROWS)
async def test_the_gateways_own_routes_follow_the_table(row: Row, gateway: InProcessGateway) -> None:  # noqa: F811
    path = _concrete_path(row.path)
    client = gateway.client
    anonymous = await client.request(row.method, path, json={}, headers=ENGLISH)
    assert anonymous.status_code == 401, anonymous.text
    for role in Role:
        headers = ENGLISH | gateway.auth(minimal_identity(role))
        answer = await client.request(row.method, path, json={}, headers=headers)
        if role is Role.service:  # no outside token may claim to be a platform service
            assert answer.status_code == 401, answer.text
        elif role in row.roles:
            assert answer.status_code < 500 and _admitted(answer), f"{role}: {answer.status_code} {answer.text}"
        else:
            assert answer.status_code == 403, f"{role}: {answer.status_code} {answer.text}"
            assert ROLE_REFUSAL in answer.json()["detail"]


def test_role_lists_are_published_in_openapi() -> None:
    table = {(row.service, row.method.lower(), row.path): row.roles for row in ROWS}
    for name, factory in _factories().items():
        document = factory().openapi()
        for path, operations in document["paths"].items():
            if path in PUBLIC_PATHS:
                continue
            for method, operation in operations.items():
                assert frozenset(operation.get("x-roles") or ()) == table[(name, method, path)], f"{name} {path}"
                assert "403" in operation["responses"] and "401" in operation["responses"]
