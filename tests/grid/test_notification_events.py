"""The grid's events for notifications: recipients by subject and grid, each job's notice written once."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from grid.jobs import notice_missing, run_jobs_once
from shared.auth import Role
from shared.dates import BUSINESS_ZONE, business_today
from tests.grid.conftest import staff_headers, worker_identity
from tests.grid.helpers import admin_headers, assign, make_grid, make_worker
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth, identity


async def _feed(
    grid: httpx.AsyncClient, event_type: str, count: int, wait_seconds: float = 20.0
) -> list[dict[str, Any]]:
    """Events of one type from the grid's feed, waiting until `count` have a feed position."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        feed = await grid.get("/internal/events", params={"limit": 1000}, headers=auth(identity(Role.service)))
        assert feed.status_code == 200, feed.text
        found = [event for event in feed.json()["items"] if event["type"] == event_type]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def _on_duty(grid: httpx.AsyncClient, community: uuid.UUID, grid_id: str, role: str = "primary") -> str:
    subject = f"worker-{uuid.uuid4().hex[:8]}"
    worker = await make_worker(grid, community, subject=subject)
    body = {"worker_id": worker["id"], "role": role, "valid_from": "2024-01-01"}
    assert (await grid.post(f"/v1/grids/{grid_id}/duties", json=body, headers=admin_headers())).status_code == 201
    return subject


async def test_a_hazard_names_the_workers_on_duty_and_its_overdue_notice_comes_once(
    grid: httpx.AsyncClient, grid_service: FastAPI, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    tower = await registry.building(community)
    mine = await make_grid(grid, community)
    deputy = await _on_duty(grid, community, mine["id"], "deputy")
    primary = await _on_duty(grid, community, mine["id"])
    enterprise = uuid.uuid4()
    deadline = business_today() + dt.timedelta(days=3)
    body = {
        "grid_id": mine["id"],
        "building_id": str(tower),
        "enterprise_id": str(enterprise),
        "description": "配电箱未上锁",
        "deadline": deadline.isoformat(),
    }
    created = await grid.post("/v1/hazards", json=body, headers=auth(worker_identity(mine["id"])))
    assert created.status_code == 201, created.text

    (assigned,) = await _feed(grid, "HazardAssigned", 1)
    assert assigned["payload"]["worker_subjects"] == [primary, deputy]
    assert assigned["payload"]["enterprise_id"] == str(enterprise)
    assert assigned["payload"]["grid_id"] == mine["id"]
    assert "description" not in assigned["payload"]

    on_time = dt.datetime.combine(deadline, dt.time(12), BUSINESS_ZONE)
    assert (await run_jobs_once(grid_service, on_time))["hazards_overdue"] == 0
    late = on_time + dt.timedelta(days=1)
    runs = await asyncio.gather(*(run_jobs_once(grid_service, late) for _ in range(3)))
    assert sum(run["hazards_overdue"] for run in runs) == 1
    assert (await run_jobs_once(grid_service, late + dt.timedelta(days=1)))["hazards_overdue"] == 0
    (overdue,) = await _feed(grid, "HazardOverdue", 1)
    assert overdue["payload"]["hazard_id"] == created.json()["id"]
    assert overdue["payload"]["worker_subjects"] == [primary, deputy]


async def test_dispatch_and_supervision_name_the_handling_worker(
    grid: httpx.AsyncClient, grid_service: FastAPI, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    target = await make_grid(grid, community)
    subject = f"worker-{uuid.uuid4().hex[:6]}"
    worker = await make_worker(grid, community, subject=subject)
    officer = staff_headers(community)
    created = await grid.post(
        "/v1/grid-events",
        json={"community_id": str(community), "grid_id": target["id"], "category": "health", "title": "垃圾堆积"},
        headers=officer,
    )
    path = f"/v1/grid-events/{created.json()['id']}/transitions"
    await grid.post(path, json={"action": "accept"}, headers=officer)
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    dispatch = {
        "action": "dispatch",
        "handler": {"type": "grid_worker", "worker_id": worker["id"]},
        "deadline": deadline.isoformat(),
    }
    assert (await grid.post(path, json=dispatch, headers=officer)).status_code == 200

    (dispatched,) = await _feed(grid, "GridEventDispatched", 1)
    assert dispatched["payload"]["worker_subject"] == subject
    assert dispatched["payload"]["grid_id"] == target["id"]
    assert dispatched["payload"]["title"] == "垃圾堆积"
    assert "王芳" not in str(dispatched["payload"])  # the worker's name stays in the grid service

    for hours, level in ((3, "yellow"), (60, "red")):
        runs = await asyncio.gather(
            *(run_jobs_once(grid_service, deadline + dt.timedelta(hours=hours)) for _ in range(2))
        )
        assert sum(run["supervision_raised"] for run in runs) == 1, level
    yellow, red = await _feed(grid, "SupervisionFlagged", 2)
    assert [yellow["payload"]["level"], red["payload"]["level"]] == ["yellow", "red"]
    assert red["payload"]["worker_subject"] == subject
    assert red["payload"]["community_id"] == str(community)


async def test_missing_check_ins_at_ten_once_per_building_and_day(
    grid: httpx.AsyncClient, grid_service: FastAPI, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    reported, silent = await registry.building(community, "A"), await registry.building(community, "B")
    north = await make_grid(grid, community, "北")
    for building in (reported, silent):
        assert (await assign(grid, north["id"], building)).status_code == 201
    today = business_today()
    started = await grid.post(
        "/v1/grids/campaigns",
        json={"community_id": str(community), "name": "防汛排查", "kind": "weather", "starts_on": today.isoformat()},
        headers=staff_headers(community),
    )
    assert started.status_code == 201, started.text
    body = {"building_id": str(reported), "grid_id": north["id"], "day": today.isoformat(), "people_on_site": 80}
    checked = await grid.post(
        f"/v1/grids/campaigns/{started.json()['id']}/check-ins",
        json=body,
        headers=auth(worker_identity(north["id"])),
    )
    assert checked.status_code == 201, checked.text

    before_ten = dt.datetime.combine(today, dt.time(9, 59), BUSINESS_ZONE)
    assert await notice_missing(grid_service, before_ten) == 0
    at_ten = dt.datetime.combine(today, dt.time(10, 1), BUSINESS_ZONE)
    assert sum(await asyncio.gather(*(notice_missing(grid_service, at_ten) for _ in range(3)))) == 1
    assert await notice_missing(grid_service, at_ten + dt.timedelta(hours=2)) == 0

    (missing,) = await _feed(grid, "CampaignCheckInMissing", 1)
    assert missing["payload"]["building_id"] == str(silent)
    assert missing["payload"]["campaign_id"] == started.json()["id"]
    assert missing["payload"]["community_id"] == str(community)
    assert missing["payload"]["grid_ids"] == [north["id"]]
    assert missing["payload"]["day"] == today.isoformat()
