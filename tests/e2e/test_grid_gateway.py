"""Through the gateway with real tokens, against the real registry and grid processes.

Grids for two towers (one split by floors into a micro-grid), workers, an inspection whose finding
becomes a hazard that is rectified and closed, an event through its whole loop with a send-back,
a two-day campaign, and a transfer in the registry ending an assignment through the feed, with
the grid process restarted in between.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from shared.auth import Identity, Role
from shared.dates import business_today
from tests.e2e.conftest import RunningPlatform
from tests.support.database import asyncpg_dsn, truncate_all
from tests.support.identities import admin, identity

pytestmark = pytest.mark.e2e


@pytest.fixture
def grid_platform(platform: RunningPlatform, database_url: str) -> Iterator[RunningPlatform]:
    """The session's platform with its grid process restarted to consume the registry's feed (fast),
    for this test only: restarted without it afterwards, and the feed cursor it moved wiped."""
    grid = platform.services["grid"]
    plain = grid.env
    grid.stop()
    grid.env = plain | {
        "GRID_REGISTRY_FEED_ENABLED": "true",
        "GRID_REGISTRY_URL": platform.service_url("registry"),
        "GRID_REGISTRY_FEED_POLL_SECONDS": "0.2",
    }
    grid.start()
    try:
        yield platform
    finally:
        grid.stop()
        grid.env = plain
        grid.start()
        asyncio.run(truncate_all(database_url))


async def _cursor() -> int:
    connection = await asyncpg.connect(asyncpg_dsn(os.environ["TEST_DATABASE_URL"]))
    try:
        return int(await connection.fetchval("SELECT coalesce(max(position), 0) FROM grid.feed_cursor") or 0)
    finally:
        await connection.close()


async def test_the_grid_workflow_through_the_gateway(grid_platform: RunningPlatform) -> None:
    p = grid_platform
    root = p.auth(admin())
    async with p.client(timeout=30) as client:

        async def ok(method: str, path: str, headers: dict[str, str], status: int = 200, **kw: Any) -> Any:
            response = await client.request(method, path, headers=headers, **kw)
            assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
            return response.json()

        communities = {}
        for code in ("E2E-XG", "E2E-IOT"):
            body: dict[str, Any] = {
                "code": code,
                "name_zh": code,
                "name_en": code,
                "type": "business_building",
                "street": "长河街道",
            }
            communities[code] = uuid.UUID((await ok("POST", "/v1/communities", root, 201, json=body))["id"])
        xingguang = communities["E2E-XG"]
        towers = []
        for name in ("星耀城 1 幢", "星耀城 2 幢"):
            body = {
                "name": name,
                "kind": "office_tower",
                "address": "江南大道",
                "location": {"lat": 30.2040, "lon": 120.2060},
                "floors": 30,
                "community_id": str(xingguang),
                "valid_from": "2023-05-12",
            }
            towers.append((await ok("POST", "/v1/buildings", root, 201, json=body))["id"])

        officer = p.auth(identity(Role.community_staff, community_ids=[xingguang]))
        base = {"community_id": str(xingguang), "valid_from": "2023-05-12"}
        tower_grid = await ok(
            "POST", "/v1/grids", officer, 201, json={**base, "name": "星耀城网格", "kind": "dedicated"}
        )
        micro = await ok(
            "POST", "/v1/grids", officer, 201, json={**base, "name": "2 幢低区", "parent_id": tower_grid["id"]}
        )
        assert (tower_grid["code"], micro["code"]) == ("E2E-XG-001", "E2E-XG-001-01")
        since = {"valid_from": "2023-05-12"}
        await ok(
            "POST", f"/v1/grids/{tower_grid['id']}/assignments", officer, 201, json={"building_id": towers[0], **since}
        )
        await ok(
            "POST",
            f"/v1/grids/{tower_grid['id']}/assignments",
            officer,
            201,
            json={"building_id": towers[1], "floor_from": 11, **since},
        )
        await ok(
            "POST",
            f"/v1/grids/{micro['id']}/assignments",
            officer,
            201,
            json={"building_id": towers[1], "floor_to": 10, **since},
        )

        worker = await ok(
            "POST",
            "/v1/grid-workers",
            officer,
            201,
            json={"community_id": str(xingguang), "name": "王芳", "phone": "13800000000", "user_subject": "e2e-wang"},
        )
        duty = {"worker_id": worker["id"], "role": "primary", "valid_from": "2023-05-12"}
        await ok("POST", f"/v1/grids/{tower_grid['id']}/duties", officer, 201, json=duty)
        wang = p.auth(
            Identity(
                subject="e2e-wang",
                roles=frozenset({Role.grid_worker}),
                grid_ids=frozenset({uuid.UUID(tower_grid["id"])}),
            )
        )

        # an inspection whose finding becomes a hazard, rectified and closed
        visit = {
            "grid_id": tower_grid["id"],
            "building_id": towers[0],
            "floor": 3,
            "visited_on": business_today().isoformat(),
            "findings": [{"description": "消防通道堆放杂物", "level": "major", "raise_hazard": True}],
        }
        inspection = await ok("POST", "/v1/inspections", wang, 201, json=visit)
        hazard_path = f"/v1/hazards/{inspection['hazard_ids'][0]}/transitions"
        for action, who in (("start_rectification", wang), ("report_rectified", wang), ("verify", officer)):
            hazard = await ok("POST", hazard_path, who, json={"action": action})
        assert hazard["status"] == "verified"

        # an event through the whole loop, with a send-back
        event = await ok(
            "POST",
            "/v1/grid-events",
            wang,
            201,
            json={
                "community_id": str(xingguang),
                "grid_id": tower_grid["id"],
                "category": "fire",
                "title": "消防栓漏水",
            },
        )
        deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
        steps: list[tuple[dict[str, str], dict[str, Any]]] = [
            (wang, {"action": "accept"}),
            (
                officer,
                {
                    "action": "dispatch",
                    "handler": {"type": "grid_worker", "worker_id": worker["id"]},
                    "deadline": deadline,
                },
            ),
            (wang, {"action": "start_handling"}),
            (wang, {"action": "handle"}),
            (wang, {"action": "feedback"}),
            (officer, {"action": "send_back", "note": "仍有渗水"}),
            (wang, {"action": "handle"}),
            (wang, {"action": "feedback"}),
            (officer, {"action": "verify"}),
            (officer, {"action": "close", "evaluation": {"rating": 5}}),
        ]
        for who, body in steps:
            result = await ok("POST", f"/v1/grid-events/{event['id']}/transitions", who, json=body)
        assert result["status"] == "closed" and len(result["history"]) == 11

        # a worker acts only in their grids; staff only in their community
        stranger = p.auth(identity(Role.community_staff, community_ids=[communities["E2E-IOT"]]))
        assert (await client.get(f"/v1/grids/{tower_grid['id']}", headers=stranger)).status_code == 403
        assert (await client.get(f"/v1/grids/{micro['id']}/summary", headers=wang)).status_code == 200
        other = p.auth(identity(Role.grid_worker, grid_ids=[uuid.uuid4()]))
        assert (await client.get(f"/v1/grids/{tower_grid['id']}", headers=other)).status_code == 403

        # a two-day campaign
        today = business_today()
        campaign = await ok(
            "POST",
            "/v1/grids/campaigns",
            officer,
            201,
            json={
                "community_id": str(xingguang),
                "name": "流感排查",
                "starts_on": (today - dt.timedelta(days=1)).isoformat(),
            },
        )
        for day in (today - dt.timedelta(days=1), today):
            body = {"building_id": towers[0], "grid_id": tower_grid["id"], "day": day.isoformat()}
            body["people_on_site"] = 80
            await ok("POST", f"/v1/grids/campaigns/{campaign['id']}/check-ins", wang, 201, json=body)
        status = await ok("GET", f"/v1/grids/campaigns/{campaign['id']}/today", officer)
        assert [m["building_id"] for m in status["missing"]] == [towers[1]]
        ended = await ok(
            "POST", f"/v1/grids/campaigns/{campaign['id']}/end", officer, json={"ends_on": today.isoformat()}
        )
        assert ended["summary"]["completion"] == 0.5

        # a transfer in the registry ends the assignment; the grid process restarts in between
        async def ended_on(building: str) -> str | None:
            # a fresh staff identity per poll: the per-consumer rate limit is not what answers
            again = p.auth(identity(Role.community_staff, community_ids=[xingguang]))
            rows = await ok("GET", f"/v1/grids/{tower_grid['id']}/assignments", again)
            ends: list[str | None] = [r["valid_to"] for r in rows if r["building_id"] == building]
            return ends[0]

        async def wait_for(building: str, day: str) -> None:
            for _ in range(200):  # the feed waits for older transactions anywhere on the server
                if await ended_on(building) == day:
                    return
                await asyncio.sleep(0.2)
            raise AssertionError(f"the assignment of {building} did not end on {day}")

        iot = str(communities["E2E-IOT"])
        move = {"to_community_id": iot, "effective_on": "2026-01-01", "reason": "区划调整"}
        await ok("POST", f"/v1/buildings/{towers[0]}/transfers", root, 201, json=move)
        await wait_for(towers[0], "2026-01-01")
        position = await _cursor()
        p.stop_service("grid")
        try:
            await ok(
                "POST", f"/v1/buildings/{towers[1]}/transfers", root, 201, json={**move, "effective_on": "2026-02-01"}
            )
        finally:
            p.start_service("grid")
        await wait_for(towers[1], "2026-02-01")
        assert await _cursor() > position
        assert await ended_on(towers[0]) == "2026-01-01"
