"""Every service starts, reports health and readiness, and answers only callers with an identity."""

from __future__ import annotations

import httpx
import pytest

from shared.auth import Role
from tests.support.identities import auth, minimal_identity

ABOUT = {
    "registry_app": "/v1/communities/about",
    "requests_app": "/v1/service-types/about",
    "elections_app": "/v1/elections/about",
    "grid_app": "/v1/grids/about",
    "identity_app": "/v1/accounts/about",
    "notifications_app": "/v1/notifications/about",
}


@pytest.fixture(params=sorted(ABOUT))
def service(request: pytest.FixtureRequest) -> tuple[httpx.AsyncClient, str]:
    return request.getfixturevalue(request.param), ABOUT[request.param]


async def test_health_and_readiness(service: tuple[httpx.AsyncClient, str]) -> None:
    client, _ = service
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_about_needs_the_gateway_identity(service: tuple[httpx.AsyncClient, str]) -> None:
    client, path = service
    anonymous = await client.get(path)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.json()["code"] == "UNAUTHENTICATED"

    forged = await client.get(path, headers={"X-Platform-Identity": "not-a-token"})
    assert forged.status_code == 401

    signed_elsewhere = auth(minimal_identity(Role.employee), secret="another-secret-" + "x" * 40)
    assert (await client.get(path, headers=signed_elsewhere)).status_code == 401

    who = minimal_identity(Role.employee)
    answer = await client.get(path, headers=auth(who))
    assert answer.status_code == 200
    assert answer.json()["subject"] == who.subject
    assert answer.json()["roles"] == ["employee"]
