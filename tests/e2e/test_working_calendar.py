"""The working-day calendar through the real gateway: admin-only loads, and the readiness warning."""

from __future__ import annotations

import datetime as dt

import pytest

from service_requests.working_calendar import PACKAGE_ONLY, SHANGHAI
from shared.auth import Role
from tests.e2e.conftest import RunningPlatform
from tests.service_requests.conftest import World
from tests.support.identities import admin, identity

pytestmark = pytest.mark.e2e


async def test_an_admin_loads_next_year_through_the_gateway_and_the_warning_goes(
    platform: RunningPlatform,
) -> None:
    today = dt.datetime.now(SHANGHAI).date()
    next_year = today.year + 1
    body = {"year": next_year, "notice": "test table", "holidays": [{"date": f"{next_year}-01-01", "name": "元旦"}]}
    async with platform.client() as client:
        before = (await client.get("/readyz")).json()
        warned = before["upstreams"]["service-requests"].get("warnings", [])
        expected = ["WORKING_CALENDAR_NEXT_YEAR_MISSING"] if PACKAGE_ONLY.next_year_missing(today) else []
        assert [warning["code"] for warning in warned] == expected
        assert before["status"] == "ok"

        staff = platform.auth(World().staff())
        refused = await client.put(f"/v1/working-calendar/{next_year}", json=body, headers=staff)
        assert refused.status_code == 403
        employee = platform.auth(identity(Role.employee))
        assert (await client.get("/v1/working-calendar", headers=employee)).status_code == 403

        loaded = await client.put(f"/v1/working-calendar/{next_year}", json=body, headers=platform.auth(admin()))
        assert loaded.status_code == 201, loaded.text
        overview = (await client.get("/v1/working-calendar", headers=platform.auth(admin()))).json()
        assert overview["next_year_missing"] is False
        assert overview["covered_through"] >= next_year
        after = (await client.get("/readyz")).json()
        assert "warnings" not in after["upstreams"]["service-requests"]
