"""The grid service against the real registry app: jurisdiction checks, the feed, headcounts."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from grid.registry.feed import registry_feed_consumer
from tests.grid.helpers import admin_headers
from tests.grid.registry_data import RegistryData


async def test_assignment_follows_the_real_registry_and_its_feed(
    grid_on_registry: FastAPI, registry: RegistryData
) -> None:
    grid = httpx.AsyncClient(transport=httpx.ASGITransport(app=grid_on_registry), base_url="http://grid.test")
    async with grid:
        zhongxing, xingguang = await registry.community("ZX-T"), await registry.community("XG-T")
        building_id = str(
            await registry.building(zhongxing, "星耀城 1 幢", since=dt.date(2015, 1, 1), lat=30.2040, lon=120.2060)
        )

        async def make(community: uuid.UUID) -> dict[str, Any]:
            body = {"community_id": str(community), "name": "网格", "valid_from": "2015-01-01"}
            response = await grid.post("/v1/grids", json=body, headers=admin_headers())
            assert response.status_code == 201, response.text
            result: dict[str, Any] = response.json()
            return result

        old, new = await make(zhongxing), await make(xingguang)
        assert old["code"] == "ZX-T-001"
        body = {"building_id": building_id, "floor_from": 1, "floor_to": 10, "valid_from": "2020-01-01"}
        assert (
            await grid.post(f"/v1/grids/{old['id']}/assignments", json=body, headers=admin_headers())
        ).status_code == 201
        wrong = await grid.post(f"/v1/grids/{new['id']}/assignments", json=body, headers=admin_headers())
        assert wrong.status_code == 422 and wrong.json()["code"] == "BUILDING_OUTSIDE_COMMUNITY"

        transfer = {"to_community_id": str(xingguang), "effective_on": "2025-03-01", "reason": "星光产业社区成立"}
        moved = await registry.client.post(
            f"/v1/buildings/{building_id}/transfers", json=transfer, headers=admin_headers()
        )
        assert moved.status_code == 201, moved.text

        # The registry's feed shows an event only once every older transaction on the server has
        # ended (other test runs share the server), so poll until it has been handled.
        consumer = registry_feed_consumer(grid_on_registry)
        for _ in range(300):
            await consumer.poll_once()
            rows = (await grid.get(f"/v1/grids/{old['id']}/assignments", headers=admin_headers())).json()
            if rows[0]["valid_to"] is not None:
                break
            await asyncio.sleep(0.1)
        assert [(r["valid_from"], r["valid_to"], r["end_reason"]) for r in rows] == [
            ("2020-01-01", "2025-03-01", "building transferred")
        ]
        unassigned = await grid.get(
            "/v1/grids/unassigned-buildings",
            params={"community_id": str(xingguang), "as_of": "2025-04-01"},
            headers=admin_headers(),
        )
        assert [item["building_id"] for item in unassigned.json()["items"]] == [building_id]
        later = {**body, "valid_from": "2025-03-01"}
        assert (
            await grid.post(f"/v1/grids/{new['id']}/assignments", json=later, headers=admin_headers())
        ).status_code == 201

        report = await grid.get(
            "/v1/circles/coverage",
            params={"community_id": str(xingguang), "as_of": "2025-04-01"},
            headers=admin_headers(),
        )
        assert report.status_code == 200, report.text
        assert [b["building_id"] for b in report.json()["buildings"]] == [building_id]
