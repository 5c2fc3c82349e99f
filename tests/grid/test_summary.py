"""The grid summary pulls buildings, people, hazards, events, patrols and duty together."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.grid.conftest import worker_identity
from tests.grid.helpers import admin_headers, assign, make_grid, make_worker
from tests.grid.registry_data import RegistryData
from tests.grid.test_events import _move_deadline
from tests.support.identities import auth


async def test_summary_of_a_grid(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("XG")
    tower = await registry.building(community, "A", employees=200, enterprises=5)
    shared = await registry.building(community, "B", employees=100, enterprises=3)
    await registry.building(community, "C", employees=999, enterprises=9)  # in no grid
    target = await make_grid(grid, community)
    await assign(grid, target["id"], tower)
    await assign(grid, target["id"], shared, floors=(1, 5))
    primary, deputy = await make_worker(grid, community, "王芳"), await make_worker(grid, community, "李强")
    for worker, role in ((primary, "primary"), (deputy, "deputy")):
        duty = {"worker_id": worker["id"], "role": role, "valid_from": "2024-01-01"}
        assert (
            await grid.post(f"/v1/grids/{target['id']}/duties", json=duty, headers=admin_headers())
        ).status_code == 201
    for level in ("general", "major", "major"):
        hazard = {
            "grid_id": target["id"],
            "building_id": str(tower),
            "level": level,
            "description": "x",
            "deadline": "2030-01-01",
        }
        assert (await grid.post("/v1/hazards", json=hazard, headers=admin_headers())).status_code == 201
    event = await grid.post(
        "/v1/grid-events",
        json={"community_id": str(community), "grid_id": target["id"], "category": "x", "title": "x"},
        headers=admin_headers(),
    )
    path = f"/v1/grid-events/{event.json()['id']}/transitions"
    await grid.post(path, json={"action": "accept"}, headers=admin_headers())
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    dispatch = {"action": "dispatch", "handler": {"type": "department", "name": "城管"}, "deadline": deadline}
    assert (await grid.post(path, json=dispatch, headers=admin_headers())).status_code == 200
    await _move_deadline(event.json()["id"], hours_ago=2)

    response = await grid.get(f"/v1/grids/{target['id']}/summary", headers=auth(worker_identity(target["id"])))
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["buildings"], summary["buildings_split_by_floors"]) == (2, 1)
    assert (summary["enterprises"], summary["employees"]) == (8, 300)
    assert summary["open_hazards"] == {"general": 1, "major": 2}
    assert summary["overdue_events"] == 1
    assert summary["stale_buildings"] == 2
    assert [(d["name"], d["role"]) for d in summary["on_duty"]] == [("王芳", "primary"), ("李强", "deputy")]
