"""The demo data: idempotent, and `make run` shows a meaningful coverage report for Xingguang."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from grid.seed import MICRO_GRID_ID, grid_id
from grid.seed import seed as seed_grid
from registry.seed import IOT_ID, XINGGUANG_ID
from registry.seed import seed as seed_registry
from tests.support.identities import admin, auth


async def test_demo_xingguang_has_grids_and_a_meaningful_coverage_report(
    database_url: str, grid_on_registry: FastAPI
) -> None:
    await seed_registry(database_url)
    await seed_grid(database_url)
    await seed_grid(database_url)  # a second run changes nothing
    headers = auth(admin())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=grid_on_registry), base_url="http://g") as grid:
        grids = (await grid.get("/v1/grids", params={"community_id": str(XINGGUANG_ID)}, headers=headers)).json()
        assert [g["code"] for g in grids["items"]][:3] == ["BJ-CH-XG-001", "BJ-CH-XG-001-01", "BJ-CH-XG-002"]
        unassigned = await grid.get(
            "/v1/grids/unassigned-buildings", params={"community_id": str(XINGGUANG_ID)}, headers=headers
        )
        assert unassigned.json()["items"] == []  # 30 towers and the complex are all in a grid

        report = (
            await grid.get("/v1/circles/coverage", params={"community_id": str(XINGGUANG_ID)}, headers=headers)
        ).json()
        assert len(report["buildings"]) == 31
        shares = {kind: value["share_by_employees"] for kind, value in report["coverage"].items()}
        assert shares["life"] == 1.0
        assert 0 < shares["reading"] < 1  # the east towers are more than 10 minutes from a reading room
        assert report["coverage"]["life"]["employees_total"] > 0

        summary = (await grid.get(f"/v1/grids/{grid_id(1)}/summary", headers=headers)).json()
        assert summary["buildings"] == 6 and summary["buildings_split_by_floors"] == 1
        assert summary["employees"] > 0 and summary["on_duty"][0]["role"] == "primary"
        micro = (await grid.get(f"/v1/grids/{MICRO_GRID_ID}", headers=headers)).json()
        assert micro["parent_id"] == str(grid_id(1))


async def test_demo_iot_community_has_its_grids_and_all_four_circles(
    database_url: str, grid_on_registry: FastAPI
) -> None:
    await seed_registry(database_url)
    await seed_grid(database_url)
    headers = auth(admin())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=grid_on_registry), base_url="http://g") as grid:
        grids = (await grid.get("/v1/grids", params={"community_id": str(IOT_ID)}, headers=headers)).json()
        assert [g["code"] for g in grids["items"]] == ["BJ-IOT-001", "BJ-IOT-002"]
        unassigned = await grid.get(
            "/v1/grids/unassigned-buildings", params={"community_id": str(IOT_ID)}, headers=headers
        )
        assert unassigned.json()["items"] == []
        report = (await grid.get("/v1/circles/coverage", params={"community_id": str(IOT_ID)}, headers=headers)).json()
        assert len(report["buildings"]) == 4
        assert {kind: value["share_by_employees"] for kind, value in report["coverage"].items()} == {
            "life": 1.0,
            "medical": 1.0,
            "fitness": 1.0,
            "reading": 1.0,
        }
