"""The gateway in front of the real services, over loopback HTTP."""

from __future__ import annotations

import pytest

from shared.auth import Role
from tests.e2e.conftest import RunningPlatform
from tests.support.identities import minimal_identity

pytestmark = pytest.mark.e2e

ABOUT = {
    "registry": "/v1/communities/about",
    "service-requests": "/v1/service-types/about",
    "elections": "/v1/elections/about",
    "grid": "/v1/grids/about",
}


async def test_a_token_reaches_every_service_as_the_same_identity(platform: RunningPlatform) -> None:
    who = minimal_identity(Role.employee)
    async with platform.client() as client:
        for service, path in ABOUT.items():
            answer = await client.get(path, headers=platform.auth(who))
            assert answer.status_code == 200, answer.text
            assert answer.json()["service"] == service
            assert answer.json()["subject"] == who.subject
            assert answer.headers["x-request-id"]
