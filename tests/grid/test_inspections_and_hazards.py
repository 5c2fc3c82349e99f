"""Inspections, patrol freshness, and the hazard ledger's lifecycle with its history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from tests.grid.conftest import staff_headers, worker_identity
from tests.grid.helpers import admin_headers, assign, make_grid, make_worker
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth


async def _template(grid: httpx.AsyncClient) -> dict[str, Any]:
    body = {
        "name": "消防安全",
        "category": "fire_safety",
        "items": [
            {"key": "exits_clear", "question": "安全出口是否畅通"},
            {"key": "extinguishers", "question": "灭火器"},
        ],
    }
    response = await grid.post("/v1/inspections/templates", json=body, headers=admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_worker_inspects_buildings_of_their_grid_and_findings_become_hazards(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    tower, elsewhere = await registry.building(community, "1 号楼"), await registry.building(community, "2 号楼")
    mine = await make_grid(grid, community)
    await assign(grid, mine["id"], tower)
    await make_worker(grid, community, subject="worker-7")
    me = auth(worker_identity(mine["id"], subject="worker-7"))
    template = await _template(grid)
    visit = {
        "grid_id": mine["id"],
        "building_id": str(tower),
        "floor": 12,
        "template_id": template["id"],
        "visited_on": "2024-05-01",
        "answers": {"exits_clear": False, "extinguishers": True},
        "findings": [
            {"description": "12 层安全出口堆放杂物", "level": "major", "raise_hazard": True},
            {"description": "灯管损坏", "raise_hazard": False},
        ],
    }
    recorded = await grid.post("/v1/inspections", json=visit, headers=me)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["worker_id"] is not None and len(recorded.json()["hazard_ids"]) == 1

    hazard = (await grid.get(f"/v1/hazards/{recorded.json()['hazard_ids'][0]}", headers=me)).json()
    assert (hazard["level"], hazard["status"], hazard["deadline"]) == ("major", "reported", "2024-05-08")
    assert hazard["overdue"] is True  # the deadline has long passed

    not_mine = await grid.post("/v1/inspections", json={**visit, "building_id": str(elsewhere)}, headers=me)
    assert not_mine.status_code == 422 and not_mine.json()["code"] == "BUILDING_NOT_IN_GRID"
    half = await grid.post("/v1/inspections", json={**visit, "answers": {"exits_clear": True}}, headers=me)
    assert half.status_code == 422 and half.json()["missing"] == ["extinguishers"]


async def test_stale_buildings_are_those_not_visited_within_the_interval(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    fresh, old, never = [await registry.building(community, name) for name in "ABC"]
    target = await make_grid(grid, community)
    for building in (fresh, old, never):
        await assign(grid, target["id"], building)
    settings = await grid.put(
        f"/v1/grids/communities/{community}/settings", json={"patrol_interval_days": 14}, headers=admin_headers()
    )
    assert settings.status_code == 200
    for building, day in ((fresh, "2024-05-20"), (old, "2024-05-01")):
        visit = {"grid_id": target["id"], "building_id": str(building), "visited_on": day}
        assert (await grid.post("/v1/inspections", json=visit, headers=admin_headers())).status_code == 201

    stale = await grid.get(
        f"/v1/grids/{target['id']}/stale-buildings", params={"as_of": "2024-05-25"}, headers=admin_headers()
    )
    assert stale.status_code == 200
    found = {item["building_id"]: item for item in stale.json()["items"]}
    assert set(found) == {str(old), str(never)}
    assert found[str(old)]["due_on"] == "2024-05-15" and found[str(never)]["last_visited_on"] is None


async def test_hazard_lifecycle_with_send_back_and_full_history(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    tower = await registry.building(community)
    mine = await make_grid(grid, community)
    worker = auth(worker_identity(mine["id"]))
    officer = staff_headers(community)
    deadline = (dt.date.today() + dt.timedelta(days=30)).isoformat()  # noqa: DTZ011
    body = {"grid_id": mine["id"], "building_id": str(tower), "description": "配电箱未上锁", "deadline": deadline}
    created = await grid.post("/v1/hazards", json=body, headers=worker)
    assert created.status_code == 201 and created.json()["overdue"] is False
    path = f"/v1/hazards/{created.json()['id']}/transitions"

    async def step(action: str, headers: dict[str, str]) -> httpx.Response:
        return await grid.post(path, json={"action": action, "note": action}, headers=headers)

    assert (await step("verify", officer)).status_code == 409  # not rectified yet
    assert (await step("start_rectification", worker)).status_code == 200
    assert (await step("report_rectified", worker)).status_code == 200
    assert (await step("verify", worker)).status_code == 403  # only staff close a hazard
    assert (await step("send_back", officer)).json()["status"] == "rectifying"
    assert (await step("report_rectified", worker)).status_code == 200
    closed = await step("verify", officer)
    assert closed.status_code == 200
    assert closed.json()["status"] == "verified"
    assert [h["action"] for h in closed.json()["history"]] == [
        "report",
        "start_rectification",
        "report_rectified",
        "send_back",
        "report_rectified",
        "verify",
    ]
    other = await make_grid(grid, community, "other")
    outsider = auth(worker_identity(other["id"]))
    assert (await grid.get(f"/v1/hazards/{created.json()['id']}", headers=outsider)).status_code == 403
    ledger = await grid.get("/v1/hazards", params={"community_id": str(community)}, headers=outsider)
    assert ledger.status_code == 200 and ledger.json()["items"] == []
