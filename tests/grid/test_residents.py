"""The residents' side of the grid (issue 18): "my grid worker", reports from one's building, the
"my ..." lists, and the enterprise's answer to a rectification request. Two identities each time:
the resident of the building (or the enterprise) and one of another building (another enterprise)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx

from shared.auth import Identity, Role
from shared.dates import business_today
from tests.grid.helpers import admin_headers, assign, make_grid
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth, identity, staff
from tests.support.rows import rows


def _resident(role: Role, enterprise_id: uuid.UUID, community_id: uuid.UUID) -> Identity:
    return identity(role, enterprise_id=enterprise_id, community_ids=[community_id])


async def _town(grid: httpx.AsyncClient, registry: RegistryData) -> dict[str, Any]:
    """Community XG-R: tower 1 (enterprise E1) split between grid 1 (floors 1-10) and grid 2 (11-30),
    each with a primary worker; tower 2 (enterprise E2) in no grid."""
    community = await registry.community("XG-R")
    tower_1, tower_2 = await registry.building(community, "1 幢"), await registry.building(community, "2 幢")
    e1, e2 = await registry.enterprise(tower_1, employees=5), await registry.enterprise(tower_2, employees=3)
    low, high = await make_grid(grid, community, "低区"), await make_grid(grid, community, "高区")
    assert (await assign(grid, low["id"], tower_1, floors=(1, 10))).status_code == 201
    assert (await assign(grid, high["id"], tower_1, floors=(11, 30))).status_code == 201
    for grid_row, (name, phone) in zip(
        (low, high), (("王芳", "138 1234 5678"), ("李强", "+86 139-8765-4321")), strict=True
    ):
        body = {"community_id": str(community), "name": name, "phone": phone, "duty_hours": "工作日 9:00-17:30"}
        worker = await grid.post("/v1/grid-workers", json=body, headers=admin_headers())
        assert worker.status_code == 201, worker.text
        duty = {"worker_id": worker.json()["id"], "role": "primary", "valid_from": "2024-01-01"}
        made = await grid.post(f"/v1/grids/{grid_row['id']}/duties", json=duty, headers=admin_headers())
        assert made.status_code == 201, made.text
    return {
        "community": community,
        "tower_1": tower_1,
        "tower_2": tower_2,
        "e1": e1,
        "e2": e2,
        "low": low,
        "high": high,
    }


async def test_my_grid_worker_is_shown_to_the_buildings_residents_only(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    town = await _town(grid, registry)
    path = f"/v1/grids/buildings/{town['tower_1']}/grid-worker"
    for role in (Role.employee, Role.enterprise_rep):
        mine = await grid.get(path, headers=auth(_resident(role, town["e1"], town["community"])))
        assert mine.status_code == 200, mine.text
        body = mine.json()
        assert body["as_of"] == business_today().isoformat()
        assert [(g["code"], g["floor_from"], g["floor_to"], g["primary_worker"]) for g in body["grids"]] == [
            ("XG-R-001", 1, 10, {"name": "王芳", "phone_masked": "138****5678", "duty_hours": "工作日 9:00-17:30"}),
            ("XG-R-002", 11, 30, {"name": "李强", "phone_masked": "139****4321", "duty_hours": "工作日 9:00-17:30"}),
        ]
        # the resident of another building (another enterprise, same community) is refused
        other = await grid.get(path, headers=auth(_resident(role, town["e2"], town["community"])))
        assert other.status_code == 403 and other.json()["code"] == "NOT_YOUR_BUILDING"
    # their own building has no grid: an empty list, not someone else's worker
    own = await grid.get(
        f"/v1/grids/buildings/{town['tower_2']}/grid-worker",
        headers=auth(_resident(Role.employee, town["e2"], town["community"])),
    )
    assert own.status_code == 200 and own.json()["grids"] == []


async def test_a_report_from_my_building_gets_the_grid_of_its_floor(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    town = await _town(grid, registry)
    reporter = _resident(Role.employee, town["e1"], town["community"])
    body = {
        "building_id": str(town["tower_1"]),
        "floor": 12,
        "category": "public_facility",
        "title": "12 楼电梯厅照明损坏",
    }
    made = await grid.post("/v1/grid-events/building-reports", json=body, headers=auth(reporter))
    assert made.status_code == 201, made.text
    event = made.json()
    assert made.headers["location"] == f"/v1/grid-events/{event['id']}"
    assert (
        event["grid_id"],
        event["community_id"],
        event["source_channel"],
        event["enterprise_id"],
        event["status"],
    ) == (
        town["high"]["id"],
        str(town["community"]),
        "app",
        str(town["e1"]),
        "reported",
    )
    # the worker of that grid can act on it; the worker of the other half of the tower cannot see it
    worker_high = identity(Role.grid_worker, grid_ids=[uuid.UUID(town["high"]["id"])])
    accepted = await grid.post(
        f"/v1/grid-events/{event['id']}/transitions", json={"action": "accept"}, headers=auth(worker_high)
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
    worker_low = identity(Role.grid_worker, grid_ids=[uuid.UUID(town["low"]["id"])])
    assert (await grid.get(f"/v1/grid-events/{event['id']}", headers=auth(worker_low))).status_code == 403

    # without a floor: the building's first grid
    body_no_floor = {"building_id": str(town["tower_1"]), "category": "other", "title": "大堂门禁故障"}
    second = await grid.post("/v1/grid-events/building-reports", json=body_no_floor, headers=auth(reporter))
    assert second.status_code == 201 and second.json()["grid_id"] == town["low"]["id"], second.text

    # another enterprise's employee cannot report from tower 1; tower 2 has no grid
    outsider = _resident(Role.employee, town["e2"], town["community"])
    refused = await grid.post("/v1/grid-events/building-reports", json=body, headers=auth(outsider))
    assert refused.status_code == 403 and refused.json()["code"] == "NOT_YOUR_BUILDING"
    gridless = {"building_id": str(town["tower_2"]), "category": "other", "title": "无网格楼宇"}
    no_grid = await grid.post("/v1/grid-events/building-reports", json=gridless, headers=auth(outsider))
    assert no_grid.status_code == 422 and no_grid.json()["code"] == "BUILDING_HAS_NO_GRID"

    # "my events": the reporter both, newest first, paged; a coworker none; the representative both
    first_page = await grid.get("/v1/grid-events/mine", params={"limit": 1}, headers=auth(reporter))
    assert first_page.status_code == 200, first_page.text
    assert [item["id"] for item in first_page.json()["items"]] == [second.json()["id"]]
    cursor = first_page.json()["next_cursor"]
    rest = await grid.get("/v1/grid-events/mine", params={"limit": 1, "cursor": cursor}, headers=auth(reporter))
    assert [item["id"] for item in rest.json()["items"]] == [event["id"]] and rest.json().get("next_cursor") is None
    coworker = _resident(Role.employee, town["e1"], town["community"])
    assert (await grid.get("/v1/grid-events/mine", headers=auth(coworker))).json()["items"] == []
    representative = _resident(Role.enterprise_rep, town["e1"], town["community"])
    theirs = await grid.get("/v1/grid-events/mine", headers=auth(representative))
    assert [item["id"] for item in theirs.json()["items"]] == [second.json()["id"], event["id"]]
    other_rep = _resident(Role.enterprise_rep, town["e2"], town["community"])
    assert (await grid.get("/v1/grid-events/mine", headers=auth(other_rep))).json()["items"] == []

    # one report with its history: the reporter and their enterprise's representative, nobody else
    path = f"/v1/grid-events/{event['id']}"
    own = await grid.get(path, headers=auth(reporter))
    assert own.status_code == 200, own.text
    assert [(h["action"], h["actor_role"]) for h in own.json()["history"]] == [
        ("report", "employee"),
        ("accept", "grid_worker"),
    ]
    assert (await grid.get(path, headers=auth(representative))).status_code == 200
    for outsider_of_the_report in (coworker, other_rep):
        refused_read = await grid.get(path, headers=auth(outsider_of_the_report))
        assert refused_read.status_code == 403, refused_read.text


async def test_a_representative_answers_the_rectification_request_of_their_enterprise(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    town = await _town(grid, registry)
    officer = auth(staff(town["community"]))
    hazard_body = {
        "grid_id": town["low"]["id"],
        "building_id": str(town["tower_1"]),
        "enterprise_id": str(town["e1"]),
        "description": "消防通道堆放杂物",
        "deadline": (business_today() + dt.timedelta(days=7)).isoformat(),
    }
    created = await grid.post("/v1/hazards", json=hazard_body, headers=officer)
    assert created.status_code == 201, created.text
    hazard_id = created.json()["id"]
    visit = {
        "grid_id": town["low"]["id"],
        "building_id": str(town["tower_1"]),
        "enterprise_id": str(town["e1"]),
        "visited_on": business_today().isoformat(),
        "findings": [],
    }
    inspection = await grid.post("/v1/inspections", json=visit, headers=officer)
    assert inspection.status_code == 201, inspection.text

    mine = _resident(Role.enterprise_rep, town["e1"], town["community"])
    other = _resident(Role.enterprise_rep, town["e2"], town["community"])
    assert [h["id"] for h in (await grid.get("/v1/hazards/mine", headers=auth(mine))).json()["items"]] == [hazard_id]
    assert (await grid.get("/v1/hazards/mine", headers=auth(other))).json()["items"] == []
    visits = (await grid.get("/v1/inspections/mine", headers=auth(mine))).json()["items"]
    assert [v["id"] for v in visits] == [inspection.json()["id"]]
    assert (await grid.get("/v1/inspections/mine", headers=auth(other))).json()["items"] == []

    reply = {"note": "已安排清理", "rectified": False}
    early = await grid.post(f"/v1/hazards/{hazard_id}/replies", json=reply, headers=auth(mine))
    assert early.status_code == 409 and early.json()["code"] == "NO_RECTIFICATION_REQUESTED", early.text
    started = await grid.post(
        f"/v1/hazards/{hazard_id}/transitions", json={"action": "start_rectification"}, headers=officer
    )
    assert started.status_code == 200, started.text

    refused = await grid.post(f"/v1/hazards/{hazard_id}/replies", json=reply, headers=auth(other))
    assert refused.status_code == 403 and refused.json()["code"] == "NOT_YOUR_ENTERPRISE"
    interim = await grid.post(f"/v1/hazards/{hazard_id}/replies", json=reply, headers=auth(mine))
    assert interim.status_code == 200, interim.text
    assert interim.json()["status"] == "rectifying" and interim.headers["etag"] == '"v3"'
    done = {"note": "杂物已清理并张贴警示", "rectified": True}
    answered = await grid.post(f"/v1/hazards/{hazard_id}/replies", json=done, headers=auth(mine))
    assert answered.status_code == 200, answered.text
    history = [(h["action"], h["from_status"], h["to_status"], h["note"]) for h in answered.json()["history"]]
    assert history == [
        ("report", None, "reported", None),
        ("start_rectification", "reported", "rectifying", None),
        ("enterprise_reply", "rectifying", "rectifying", "已安排清理"),
        ("report_rectified", "rectifying", "rectified", "杂物已清理并张贴警示"),
    ]
    # staff still verify; a further answer is refused
    verified = await grid.post(f"/v1/hazards/{hazard_id}/transitions", json={"action": "verify"}, headers=officer)
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    late = await grid.post(f"/v1/hazards/{hazard_id}/replies", json=done, headers=auth(mine))
    assert late.status_code == 409


async def test_five_rectified_answers_at_once_move_the_hazard_once(
    grid: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    """The reply locks the hazard row: one answer moves it, the others find it rectified (409)."""
    town = await _town(grid, registry)
    officer = auth(staff(town["community"]))
    body = {
        "grid_id": town["low"]["id"],
        "building_id": str(town["tower_1"]),
        "enterprise_id": str(town["e1"]),
        "description": "配电箱未上锁",
        "deadline": (business_today() + dt.timedelta(days=7)).isoformat(),
    }
    hazard_id = (await grid.post("/v1/hazards", json=body, headers=officer)).json()["id"]
    started = await grid.post(
        f"/v1/hazards/{hazard_id}/transitions", json={"action": "start_rectification"}, headers=officer
    )
    assert started.status_code == 200, started.text
    mine = auth(_resident(Role.enterprise_rep, town["e1"], town["community"]))
    answers = await asyncio.gather(
        *(
            grid.post(f"/v1/hazards/{hazard_id}/replies", json={"note": f"已整改 {n}", "rectified": True}, headers=mine)
            for n in range(5)
        )
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409, 409]
    assert {answer.json()["code"] for answer in answers if answer.status_code == 409} == {"NO_RECTIFICATION_REQUESTED"}
    history = await rows(
        database_url, "SELECT action FROM grid.hazard_history WHERE hazard_id = $1 ORDER BY created_at", hazard_id
    )
    assert [row["action"] for row in history] == ["report", "start_rectification", "report_rectified"]
    (hazard,) = await rows(database_url, "SELECT status, version FROM grid.hazard WHERE id = $1", hazard_id)
    assert (hazard["status"], hazard["version"]) == ("rectified", 3)
