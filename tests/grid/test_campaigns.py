"""A two-day emergency campaign: daily check-ins, who has not reported, and the closing summary."""

from __future__ import annotations

import datetime as dt

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from shared.dates import business_today
from tests.grid.conftest import build_grid_app, staff_headers, worker_identity
from tests.grid.helpers import assign, make_grid
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth


async def test_a_two_day_campaign(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("XG")
    a, b, c = [await registry.building(community, name) for name in "ABC"]
    north, south = await make_grid(grid, community, "北"), await make_grid(grid, community, "南")
    for building, target in ((a, north), (b, north), (c, south)):
        assert (await assign(grid, target["id"], building)).status_code == 201
    officer = staff_headers(community)
    north_worker = auth(worker_identity(north["id"]))
    south_worker = auth(worker_identity(south["id"]))
    today = business_today()
    yesterday = today - dt.timedelta(days=1)

    started = await grid.post(
        "/v1/grids/campaigns",
        json={"community_id": str(community), "name": "流感排查", "starts_on": yesterday.isoformat()},
        headers=officer,
    )
    assert started.status_code == 201, started.text
    base = f"/v1/grids/campaigns/{started.json()['id']}"

    async def check_in(headers: dict[str, str], target: dict[str, str], building: object, day: dt.date) -> int:
        body = {"building_id": str(building), "grid_id": target["id"], "day": day.isoformat(), "people_on_site": 120}
        return (await grid.post(f"{base}/check-ins", json=body, headers=headers)).status_code

    assert await check_in(north_worker, north, a, yesterday) == 201
    assert await check_in(north_worker, north, b, yesterday) == 201
    assert await check_in(north_worker, north, b, yesterday) == 409  # once per building and day
    assert await check_in(north_worker, south, c, yesterday) == 403  # not their grid
    day_one = (await grid.get(f"{base}/today", params={"day": yesterday.isoformat()}, headers=officer)).json()
    assert [m["building_id"] for m in day_one["missing"]] == [str(c)]
    assert day_one["missing"][0]["grid_ids"] == [south["id"]]

    assert await check_in(north_worker, north, a, today) == 201
    assert await check_in(south_worker, south, c, today) == 201
    assert await check_in(south_worker, south, c, today + dt.timedelta(days=1)) == 422  # the future
    day_two = (await grid.get(f"{base}/today", headers=officer)).json()
    assert (day_two["buildings_total"], day_two["reported"]) == (3, 2)
    assert [m["building_id"] for m in day_two["missing"]] == [str(b)]
    mine = (await grid.get(f"{base}/today", headers=south_worker)).json()
    assert (mine["buildings_total"], mine["missing"]) == (1, [])

    ended = await grid.post(f"{base}/end", json={"ends_on": today.isoformat()}, headers=officer)
    assert ended.status_code == 200, ended.text
    summary = ended.json()["summary"]
    assert [(d["expected"], d["reported"]) for d in summary["days"]] == [(3, 2), (3, 2)]
    assert summary["completion"] == 0.6667
    assert await check_in(north_worker, north, b, today) == 409  # the campaign is over


async def test_a_campaign_end_beyond_the_bound_is_a_422_at_once(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    """One registry call per day followed `ends_on`: a far-future day kept the registry busy for minutes."""
    community = await registry.community("XG")
    officer = staff_headers(community)
    today = business_today()
    started = await grid.post(
        "/v1/grids/campaigns",
        json={
            "community_id": str(community),
            "name": "长期排查",
            "starts_on": (today - dt.timedelta(days=400)).isoformat(),
        },
        headers=officer,
    )
    assert started.status_code == 201, started.text
    base = f"/v1/grids/campaigns/{started.json()['id']}"
    for ends_on in ("2030-12-14", today.isoformat()):  # in the future; past 366 days
        refused = await grid.post(f"{base}/end", json={"ends_on": ends_on}, headers=officer)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "CAMPAIGN_TOO_LONG"
        assert [item["pointer"] for item in refused.json()["errors"]] == ["/ends_on"]
    within = (today - dt.timedelta(days=400 - 365)).isoformat()
    ended = await grid.post(f"{base}/end", json={"ends_on": within}, headers=officer)
    assert ended.status_code == 200, ended.text
    assert len(ended.json()["summary"]["days"]) == 366


class CountingTransport(httpx.AsyncBaseTransport):
    """The real registry app in-process, counting the requests the grid sends it."""

    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


async def test_ending_a_year_long_campaign_asks_the_registry_once(
    database_url: str, registry_service: FastAPI, registry: RegistryData
) -> None:
    """Issue 15 (6): the summary once made one registry call per day of the campaign."""
    community = await registry.community("XG")
    today = business_today()
    starts_on = today - dt.timedelta(days=365)
    await registry.building(community, "A", since=starts_on)
    await registry.building(community, "B", since=today - dt.timedelta(days=9))
    transport = CountingTransport(registry_service)
    app = build_grid_app(database_url, transport)
    officer = staff_headers(community)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://grid.test") as grid,
    ):
        started = await grid.post(
            "/v1/grids/campaigns",
            json={"community_id": str(community), "name": "全年排查", "starts_on": starts_on.isoformat()},
            headers=officer,
        )
        assert started.status_code == 201, started.text
        transport.paths.clear()
        ended = await grid.post(
            f"/v1/grids/campaigns/{started.json()['id']}/end", json={"ends_on": today.isoformat()}, headers=officer
        )
    assert ended.status_code == 200, ended.text
    assert transport.paths == [f"/internal/communities/{community}/building-counts"]
    days = ended.json()["summary"]["days"]
    assert len(days) == 366
    assert [d["expected"] for d in days[:2]] == [1, 1] and [d["expected"] for d in days[-10:]] == [2] * 10
    assert ended.json()["summary"]["expected_check_ins"] == 366 + 10
