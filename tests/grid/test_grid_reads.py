"""What the grid's read-only routes return: the hazard lifecycle, checklist templates, settings."""

from __future__ import annotations

import uuid

import httpx

from tests.grid.conftest import staff_headers, worker_identity
from tests.grid.helpers import admin_headers
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

    default = await grid.get(path, headers=staff_headers(community))
    saved = await grid.put(path, json={"patrol_interval_days": 14}, headers=admin_headers())
    read = await grid.get(path, headers=auth(worker_identity(uuid.uuid4())))

    assert default.status_code == 200
    assert default.json() == {"community_id": str(community), "patrol_interval_days": 30}
    assert saved.status_code == 200
    assert read.json() == {"community_id": str(community), "patrol_interval_days": 14}
    other_staff = await grid.get(path, headers=staff_headers(uuid.uuid4()))
    assert other_staff.status_code == 403


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
