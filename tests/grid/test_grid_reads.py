"""What the grid's read-only routes return: the hazard lifecycle, checklist templates, settings."""

from __future__ import annotations

import uuid

import httpx

from tests.grid.conftest import staff_headers, worker_identity
from tests.grid.helpers import admin_headers, assign, make_grid, make_worker
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth, employee

FIELD = ["platform_admin", "community_staff", "grid_worker"]
STAFF = ["platform_admin", "community_staff"]


async def test_the_hazard_lifecycle_is_served_as_the_docs_table(grid: httpx.AsyncClient) -> None:
    table = await grid.get("/v1/hazards/transitions", headers=auth(worker_identity(uuid.uuid4())))

    assert table.status_code == 200
    assert table.json() == {  # docs/grid.md, "Hazard ledger"
        "start_rectification": {"from": ["reported"], "to": "rectifying", "roles": FIELD},
        "report_rectified": {"from": ["rectifying"], "to": "rectified", "roles": FIELD},
        "verify": {"from": ["rectified"], "to": "verified", "roles": STAFF},
        "send_back": {"from": ["rectified"], "to": "rectifying", "roles": STAFF},
    }


async def test_a_community_sees_its_own_and_the_platform_templates_only(grid: httpx.AsyncClient) -> None:
    mine, other = uuid.uuid4(), uuid.uuid4()
    created = {}
    for name, community in (("全平台消防", None), ("本社区用电", mine), ("别的社区卫生", other)):
        body = {
            "community_id": str(community) if community else None,
            "name": name,
            "category": "fire_safety",
            "items": [{"key": "exits_clear", "question": "安全出口是否畅通"}],
        }
        response = await grid.post("/v1/inspections/templates", json=body, headers=admin_headers())
        assert response.status_code == 201, response.text
        created[name] = response.json()

    listed = await grid.get(
        "/v1/inspections/templates", params={"community_id": str(mine)}, headers=staff_headers(mine)
    )

    assert listed.status_code == 200
    assert sorted(listed.json(), key=lambda t: t["name"]) == sorted(
        [created["全平台消防"], created["本社区用电"]], key=lambda t: t["name"]
    )
    assert created["本社区用电"]["items"] == [{"key": "exits_clear", "question": "安全出口是否畅通"}]
    assert created["本社区用电"]["active"] is True and created["本社区用电"]["version"] == 1


async def test_the_patrol_interval_reads_back_as_set_and_defaults_to_30_days(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    path = f"/v1/grids/communities/{community}/settings"

    own_grid = uuid.UUID((await make_grid(grid, community))["id"])
    other_grid = uuid.UUID((await make_grid(grid, await registry.community("IOT")))["id"])

    default = await grid.get(path, headers=staff_headers(community))
    saved = await grid.put(path, json={"patrol_interval_days": 14}, headers=admin_headers())
    read = await grid.get(path, headers=auth(worker_identity(own_grid)))

    assert default.status_code == 200
    assert default.json() == {"community_id": str(community), "patrol_interval_days": 30}
    assert saved.status_code == 200
    assert read.json() == {"community_id": str(community), "patrol_interval_days": 14}
    other_staff = await grid.get(path, headers=staff_headers(uuid.uuid4()))
    assert other_staff.status_code == 403
    # a worker reads the settings of the communities of their grids only (the ownership sweep found it)
    for worker in (worker_identity(other_grid), worker_identity(uuid.uuid4())):
        assert (await grid.get(path, headers=auth(worker))).status_code == 403


async def test_one_facility_reads_back_with_its_version_and_the_circles_have_their_defaults(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    body = {
        "community_id": str(community),
        "kind": "medical",
        "name": "星光社区卫生服务站",
        "lat": 30.2071,
        "lon": 120.2153,
    }
    created = await grid.post("/v1/facilities", json=body, headers=admin_headers())
    assert created.status_code == 201, created.text
    reader = auth(employee(uuid.uuid4()))

    one = await grid.get(f"/v1/facilities/{created.json()['id']}", headers=reader)
    circles = await grid.get("/v1/circles", params={"community_id": str(community)}, headers=reader)

    assert one.status_code == 200 and one.headers["etag"] == '"v1"'
    assert one.json() == body | {"id": created.json()["id"], "sub_kind": None, "opening_hours": None, "version": 1}
    missing = await grid.get(f"/v1/facilities/{uuid.uuid4()}", headers=reader)
    assert missing.status_code == 404
    assert circles.status_code == 200
    by_kind = {circle["kind"]: circle for circle in circles.json()}
    assert {kind: circle["minutes"] for kind, circle in by_kind.items()} == {
        "life": 15,
        "medical": 15,
        "fitness": 10,
        "reading": 10,
    }
    assert {(c["walking_speed_kmh"], c["detour_factor"]) for c in by_kind.values()} == {(4.5, 1.3)}
    # minutes × 75 m/min ÷ 1.3, to 0.1 m: 15 min → 865.4 m, 10 min → 576.9 m
    assert {kind: circle["straight_line_reach_m"] for kind, circle in by_kind.items()} == {
        "life": 865.4,
        "medical": 865.4,
        "fitness": 576.9,
        "reading": 576.9,
    }


async def test_campaigns_list_newest_first_and_read_one(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("XG")
    officer = staff_headers(community)
    created = []
    for name, starts_on in (("流感排查", "2026-01-05"), ("防汛值守", "2026-06-01")):
        started = await grid.post(
            "/v1/grids/campaigns",
            json={"community_id": str(community), "name": name, "starts_on": starts_on},
            headers=officer,
        )
        assert started.status_code == 201, started.text
        created.append(started.json())

    listed = await grid.get("/v1/grids/campaigns", params={"community_id": str(community)}, headers=officer)
    one = await grid.get(f"/v1/grids/campaigns/{created[0]['id']}", headers=officer)

    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()] == ["防汛值守", "流感排查"]
    assert listed.json() == created[::-1]
    assert one.status_code == 200 and one.json() == created[0]
    assert one.json()["status"] == "active" and one.json()["ends_on"] is None and one.json()["summary"] is None
    missing = await grid.get(f"/v1/grids/campaigns/{uuid.uuid4()}", headers=officer)
    assert missing.status_code == 404


async def test_grid_workers_are_listed_by_name_with_keyset_pages(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    workers = [await make_worker(grid, community, name) for name in ("王芳", "李强", "张伟")]
    by_name = sorted(workers, key=lambda w: w["name"])
    officer = staff_headers(community)

    first = await grid.get("/v1/grid-workers", params={"community_id": str(community), "limit": 2}, headers=officer)
    second = await grid.get(
        "/v1/grid-workers",
        params={"community_id": str(community), "limit": 2, "cursor": first.json()["next_cursor"]},
        headers=officer,
    )

    assert first.status_code == 200
    assert first.json()["items"] == by_name[:2]
    assert first.json()["items"][0]["phone"] == "13800000000"  # staff see the phone
    assert second.json()["items"] == by_name[2:] and second.json()["next_cursor"] is None
    elsewhere = await grid.get(
        "/v1/grid-workers", params={"community_id": str(community)}, headers=staff_headers(uuid.uuid4())
    )
    assert elsewhere.status_code == 403


async def test_a_grids_inspections_are_listed_newest_visit_first_and_read_one_by_one(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    tower, annex = await registry.building(community, "1 号楼"), await registry.building(community, "2 号楼")
    target = await make_grid(grid, community)
    for building in (tower, annex):
        assert (await assign(grid, target["id"], building)).status_code == 201
    visits = []
    for building, day in ((tower, "2024-05-01"), (annex, "2024-05-03"), (tower, "2024-05-02")):
        body = {"grid_id": target["id"], "building_id": str(building), "visited_on": day}
        recorded = await grid.post("/v1/inspections", json=body, headers=admin_headers())
        assert recorded.status_code == 201, recorded.text
        visits.append(recorded.json())

    listed = await grid.get("/v1/inspections", params={"grid_id": target["id"]}, headers=admin_headers())
    towers = await grid.get(
        "/v1/inspections", params={"grid_id": target["id"], "building_id": str(tower)}, headers=admin_headers()
    )
    one = await grid.get(f"/v1/inspections/{visits[0]['id']}", headers=admin_headers())

    assert listed.status_code == 200
    assert [(i["building_id"], i["visited_on"]) for i in listed.json()["items"]] == [
        (str(annex), "2024-05-03"),
        (str(tower), "2024-05-02"),
        (str(tower), "2024-05-01"),
    ]
    assert [i["id"] for i in towers.json()["items"]] == [visits[2]["id"], visits[0]["id"]]
    assert one.status_code == 200 and one.json() == visits[0] | {"history": []}  # one by one: with its history
