"""The identity service starts, reports health and readiness, and its public routes are the listed ones."""

from __future__ import annotations

import httpx

from gateway.routing import ANONYMOUS_PATHS, UPSTREAM_PREFIXES
from identity.app import create_app
from identity.public import ANONYMOUS_PUBLIC_PATHS, PUBLIC_PATHS
from identity.settings import Settings
from shared.auth import Identity, Role, route_roles
from shared.routes import walk_routes
from tests.support.identities import admin, auth


async def test_health_and_readiness(identity_client: httpx.AsyncClient) -> None:
    assert (await identity_client.get("/healthz")).json() == {"status": "ok"}
    ready = await identity_client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_routes_need_the_gateway_identity(identity_client: httpx.AsyncClient) -> None:
    anonymous = await identity_client.get("/v1/accounts/me")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "UNAUTHENTICATED"
    assert (await identity_client.get("/v1/accounts/me", headers={"X-Platform-Identity": "forged"})).status_code == 401
    # a development token without `account` is not a person signed in here
    refused = await identity_client.get("/v1/accounts/me", headers=auth(admin()))
    assert refused.status_code == 403
    # one that claims `account` for a made-up subject finds no account
    made_up = Identity(subject="dev-admin", roles=frozenset({Role.account, Role.platform_admin}))
    missing = await identity_client.get("/v1/accounts/me", headers=auth(made_up))
    assert missing.status_code == 404 and missing.json()["code"] == "ACCOUNT_NOT_FOUND"


def test_exactly_the_public_paths_have_no_roles() -> None:
    app = create_app(Settings(database_url="postgresql://unused/unused", environment="test"))
    without_roles = {
        info.path
        for info in walk_routes(app.router)
        if route_roles(info.dependencies) is None and info.path not in {"/healthz", "/readyz", "/metrics"}
    }
    without_roles -= {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    assert without_roles == PUBLIC_PATHS


def test_the_gateway_forwards_exactly_the_anonymous_paths_without_credentials() -> None:
    assert ANONYMOUS_PATHS == ANONYMOUS_PUBLIC_PATHS
    for path in ANONYMOUS_PATHS:
        assert any(path == prefix or path.startswith(prefix + "/") for prefix in UPSTREAM_PREFIXES["identity"])
