"""Grids: stable codes, micro-grids, retirement, dated non-overlapping assignments, workers on duty."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import httpx

from tests.grid.conftest import staff_headers, worker_identity
from tests.grid.helpers import admin_headers, assign, make_grid, make_worker
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth
from tests.support.rows import rows


async def test_codes_follow_the_community_and_are_never_reused(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    xingguang = await registry.community("XG")
    first = await make_grid(grid, xingguang, "一号网格")
    second = await make_grid(grid, xingguang, "二号网格")
    micro = await make_grid(grid, xingguang, "1 号楼 1-10 层", parent_id=first["id"])
    assert [first["code"], second["code"], micro["code"]] == ["XG-001", "XG-002", "XG-001-01"]

    retired = await grid.post(
        f"/v1/grids/{second['id']}/retirement",
        json={"retired_on": "2025-01-01", "successor_ids": [first["id"]]},
        headers=admin_headers(),
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["retired"] is True and retired.json()["successor_ids"] == [first["id"]]

    third = await make_grid(grid, xingguang, "三号网格")
    assert third["code"] == "XG-003"  # XG-002 stays with the retired grid for good
    listed = (await grid.get("/v1/grids", params={"community_id": str(xingguang)}, headers=admin_headers())).json()
    assert [g["code"] for g in listed["items"]] == ["XG-001", "XG-001-01", "XG-003"]


async def test_staff_manage_only_their_own_community(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    mine, theirs = await registry.community("XG"), await registry.community("IOT")
    body = {"community_id": str(theirs), "name": "x", "valid_from": "2024-01-01"}
    refused = await grid.post("/v1/grids", json=body, headers=staff_headers(mine))
    assert refused.status_code == 403
    other = await make_grid(grid, theirs)
    assert (await grid.get(f"/v1/grids/{other['id']}", headers=staff_headers(mine))).status_code == 403
    assert (await grid.get(f"/v1/grids/{other['id']}", headers=staff_headers(theirs))).status_code == 200


async def test_assignments_of_floor_ranges_never_overlap(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("XG")
    tower = await registry.building(community, "1 号楼")
    low, high = await make_grid(grid, community, "低区"), await make_grid(grid, community, "高区")

    assert (await assign(grid, low["id"], tower, floors=(1, 10))).status_code == 201
    assert (await assign(grid, high["id"], tower, floors=(11, 30))).status_code == 201
    clash = await assign(grid, high["id"], tower, floors=(10, 12), valid_from=dt.date(2025, 6, 1))
    assert clash.status_code == 409
    assert clash.json()["code"] == "ASSIGNMENT_OVERLAPS"

    whole = await assign(grid, high["id"], tower)
    assert whole.status_code == 409  # the whole building overlaps both floor ranges

    ended = (await grid.get(f"/v1/grids/{low['id']}/assignments", headers=admin_headers())).json()[0]
    close = await grid.post(
        f"/v1/grids/{low['id']}/assignments/{ended['id']}/end", json={"ended_on": "2025-01-01"}, headers=admin_headers()
    )
    assert close.status_code == 200
    later = await assign(grid, high["id"], tower, floors=(1, 10), valid_from=dt.date(2025, 1, 1))
    assert later.status_code == 201, later.text  # the floors are free again from the end date


async def test_two_concurrent_overlapping_assignments_one_wins(
    grid: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    community = await registry.community("XG")
    tower = await registry.building(community)
    grids = [await make_grid(grid, community, f"网格 {n}") for n in range(2)]
    for _ in range(5):
        results = await asyncio.gather(
            assign(grid, grids[0]["id"], tower, floors=(5, 8)),
            assign(grid, grids[1]["id"], tower, floors=(8, 9)),
        )
        assert sorted(r.status_code for r in results) == [201, 409]
        winner = next(r for r in results if r.status_code == 201).json()
        stored = await rows(database_url, "SELECT id FROM grid.grid_assignment WHERE building_id = $1", tower)
        assert [str(row["id"]) for row in stored] == [winner["id"]]
        await grid.post(
            f"/v1/grids/{winner['grid_id']}/assignments/{winner['id']}/end",
            json={"ended_on": "2024-01-02"},
            headers=admin_headers(),
        )
        # the next round starts where this one ended
        tower = await registry.building(community)


async def test_a_building_joins_only_grids_of_its_community_on_those_dates(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    zhongxing, xingguang = await registry.community("ZX"), await registry.community("XG")
    tower = await registry.building(zhongxing, since=dt.date(2015, 1, 1))
    await registry.transfer(tower, xingguang, dt.date(2024, 7, 1))
    target = await make_grid(grid, xingguang)

    early = await assign(grid, target["id"], tower, valid_from=dt.date(2024, 1, 1))
    assert early.status_code == 422 and early.json()["code"] == "BUILDING_OUTSIDE_COMMUNITY"
    assert (await assign(grid, target["id"], tower, valid_from=dt.date(2024, 7, 1))).status_code == 201

    old = await make_grid(grid, zhongxing)
    bounded = await assign(grid, old["id"], tower, valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 7, 1))
    assert bounded.status_code == 201
    open_ended = await assign(grid, old["id"], tower, floors=(1, 1), valid_from=dt.date(2016, 1, 1))
    assert open_ended.status_code == 422


async def test_unassigned_buildings_are_listed(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("XG")
    covered, bare = await registry.building(community, "A"), await registry.building(community, "B")
    target = await make_grid(grid, community)
    await assign(grid, target["id"], covered, floors=(1, 3))
    listed = await grid.get(
        "/v1/grids/unassigned-buildings",
        params={"community_id": str(community), "as_of": "2024-06-01"},
        headers=staff_headers(community),
    )
    assert listed.status_code == 200
    assert [item["building_id"] for item in listed.json()["items"]] == [str(bare)]


async def test_one_primary_worker_per_grid_plus_deputies(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("XG")
    target = await make_grid(grid, community)
    wang, li, zhao = [await make_worker(grid, community, name) for name in ("王芳", "李强", "赵敏")]
    path = f"/v1/grids/{target['id']}/duties"
    primary = {"worker_id": wang["id"], "role": "primary", "valid_from": "2024-01-01"}
    assert (await grid.post(path, json=primary, headers=admin_headers())).status_code == 201
    second = {"worker_id": li["id"], "role": "primary", "valid_from": "2024-03-01"}
    taken = await grid.post(path, json=second, headers=admin_headers())
    assert taken.status_code == 409 and taken.json()["code"] == "PRIMARY_WORKER_TAKEN"
    for deputy in (li, zhao):
        body = {"worker_id": deputy["id"], "role": "deputy", "valid_from": "2024-03-01"}
        assert (await grid.post(path, json=body, headers=admin_headers())).status_code == 201

    roster = (await grid.get(path, params={"as_of": "2024-06-01"}, headers=admin_headers())).json()
    assert sorted(d["role"] for d in roster) == ["deputy", "deputy", "primary"]

    duty_id = next(d["id"] for d in roster if d["role"] == "primary")
    ended = await grid.post(f"{path}/{duty_id}/end", json={"ended_on": "2024-06-01"}, headers=admin_headers())
    assert ended.status_code == 200
    second["valid_from"] = "2024-06-01"
    second["worker_id"] = zhao["id"]
    assert (await grid.post(path, json=second, headers=admin_headers())).status_code == 409  # zhao is already a deputy
    history = (await grid.get(f"/v1/grid-workers/{wang['id']}/duties", headers=admin_headers())).json()
    assert [(d["valid_from"], d["valid_to"]) for d in history] == [("2024-01-01", "2024-06-01")]


async def test_grid_workers_see_only_their_grids_and_no_phone_numbers(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    mine, other = await make_grid(grid, community, "mine"), await make_grid(grid, community, "other")
    worker = await make_worker(grid, community, subject="worker-account-1")
    me = auth(worker_identity(mine["id"], subject="worker-account-1"))
    assert (await grid.get(f"/v1/grids/{mine['id']}", headers=me)).status_code == 200
    assert (await grid.get(f"/v1/grids/{other['id']}", headers=me)).status_code == 403
    listed = (await grid.get("/v1/grids", params={"community_id": str(community)}, headers=me)).json()
    assert [g["id"] for g in listed["items"]] == [mine["id"]]
    own = (await grid.get(f"/v1/grid-workers/{worker['id']}", headers=me)).json()
    assert own["phone"] is None and worker["phone"] == "13800000000"


async def test_concurrent_renames_with_the_same_version_one_wins(
    grid: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    community = await registry.community("XG")
    target = await make_grid(grid, community)
    path = f"/v1/grids/{target['id']}"
    assert (await grid.patch(path, json={"name": "x"}, headers=admin_headers())).status_code == 428
    results = await asyncio.gather(
        *(grid.patch(path, json={"name": f"名 {n}"}, headers={**admin_headers(), "If-Match": '"v1"'}) for n in range(4))
    )
    assert sorted(r.status_code for r in results) == [200, 412, 412, 412]
    assert (await grid.get(path, headers=admin_headers())).headers["ETag"] == '"v2"'
    winner = next(r for r in results if r.status_code == 200).json()
    stored = await rows(database_url, "SELECT name, version FROM grid.grid WHERE id = $1", uuid.UUID(target["id"]))
    assert stored == [{"name": winner["name"], "version": 2}]


async def test_a_retried_create_replays_and_does_not_burn_a_code(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    body = {"community_id": str(community), "name": "一号", "valid_from": "2024-01-01"}
    headers = {**admin_headers(), "Idempotency-Key": "create-grid-1"}
    first = await grid.post("/v1/grids", json=body, headers=headers)
    again = await grid.post("/v1/grids", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert (await make_grid(grid, community))["code"] == "XG-002"


async def test_retiring_a_grid_ends_its_assignments_and_checks_successors(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community, elsewhere = await registry.community("XG"), await registry.community("IOT")
    tower = await registry.building(community)
    old, new, foreign = (
        await make_grid(grid, community),
        await make_grid(grid, community),
        await make_grid(grid, elsewhere),
    )
    await assign(grid, old["id"], tower)
    path = f"/v1/grids/{old['id']}/retirement"
    refused = await grid.post(
        path, json={"retired_on": "2025-01-01", "successor_ids": [foreign["id"]]}, headers=admin_headers()
    )
    assert refused.status_code == 422 and refused.json()["code"] == "INVALID_SUCCESSOR"
    retired = await grid.post(
        path, json={"retired_on": "2025-01-01", "successor_ids": [new["id"]]}, headers=admin_headers()
    )
    assert retired.status_code == 200
    rows = (await grid.get(f"/v1/grids/{old['id']}/assignments", headers=admin_headers())).json()
    assert [(r["valid_to"], r["end_reason"]) for r in rows] == [("2025-01-01", "grid retired")]
    assert (await assign(grid, new["id"], tower, valid_from=dt.date(2025, 1, 1))).status_code == 201
    assert (await assign(grid, old["id"], tower, valid_from=dt.date(2025, 1, 1))).status_code == 409  # retired
