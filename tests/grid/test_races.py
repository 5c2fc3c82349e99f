"""Races on the grid's invariants, each checked in the database afterwards."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from shared.dates import business_today
from tests.grid.conftest import staff_headers, worker_identity
from tests.grid.helpers import admin_headers, assign, make_grid, make_worker
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth
from tests.support.rows import rows


async def test_five_primary_workers_at_once_one_grid_keeps_one(
    grid: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    community = await registry.community("XG")
    target = await make_grid(grid, community)
    workers = [await make_worker(grid, community, f"网格员 {n}") for n in range(5)]
    path = f"/v1/grids/{target['id']}/duties"
    answers = await asyncio.gather(
        *(
            grid.post(
                path,
                json={"worker_id": w["id"], "role": "primary", "valid_from": "2024-01-01"},
                headers=admin_headers(),
            )
            for w in workers
        )
    )
    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409, 409]
    assert {answer.json()["code"] for answer in answers if answer.status_code == 409} == {"PRIMARY_WORKER_TAKEN"}
    stored = await rows(
        database_url,
        "SELECT worker_id FROM grid.grid_duty WHERE grid_id = $1 AND role = 'primary'",
        uuid.UUID(target["id"]),
    )
    winner = next(answer for answer in answers if answer.status_code == 201).json()
    assert [str(row["worker_id"]) for row in stored] == [winner["worker_id"]]


async def test_five_check_ins_of_one_building_on_one_day_keep_one(
    grid: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    community = await registry.community("XG")
    building = await registry.building(community, "A")
    target = await make_grid(grid, community)
    assert (await assign(grid, target["id"], building)).status_code == 201
    today = business_today()
    started = await grid.post(
        "/v1/grids/campaigns",
        json={"community_id": str(community), "name": "排查", "starts_on": today.isoformat()},
        headers=staff_headers(community),
    )
    assert started.status_code == 201, started.text
    worker = auth(worker_identity(target["id"]))
    path = f"/v1/grids/campaigns/{started.json()['id']}/check-ins"
    answers = await asyncio.gather(
        *(
            grid.post(
                path,
                json={
                    "building_id": str(building),
                    "grid_id": target["id"],
                    "day": today.isoformat(),
                    "people_on_site": n,
                },
                headers=worker,
            )
            for n in range(5)
        )
    )
    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409, 409]
    stored = await rows(
        database_url,
        "SELECT people_on_site FROM grid.campaign_check_in WHERE campaign_id = $1 AND building_id = $2 AND day = $3",
        uuid.UUID(started.json()["id"]),
        building,
        today,
    )
    winner = next(answer for answer in answers if answer.status_code == 201).json()
    assert stored == [{"people_on_site": winner["people_on_site"]}]
