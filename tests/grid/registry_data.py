"""Registry records for grid tests, made through the real registry's HTTP API as a platform admin.

The grid talks to the same registry app in-process, so what a test builds here is what the grid sees.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx

from tests.grid.helpers import admin_headers
from tests.registry.factories import uscc

START = dt.date(2020, 1, 1)


class RegistryData:
    """Creates communities, buildings (with enterprises and headcounts) and transfers in the real registry."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=admin_headers())
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def community(self, code: str) -> uuid.UUID:
        body = {"code": code, "name_zh": code, "name_en": code, "type": "business_building", "street": "长河街道"}
        return uuid.UUID((await self._post("/v1/communities", body))["id"])

    async def building(
        self,
        community_id: uuid.UUID,
        name: str = "Tower",
        *,
        since: dt.date = START,
        lat: float | None = None,
        lon: float | None = None,
        floors: int = 30,
        employees: int = 0,
        enterprises: int = 0,
    ) -> uuid.UUID:
        """A building in `community_id` from `since`; `employees` are spread over `enterprises` registered there
        (at least one enterprise when there are employees), each with a headcount reported on `since`."""
        body: dict[str, Any] = {
            "name": name,
            "kind": "office_tower",
            "address": "滨江区江南大道 1 号",
            "floors": floors,
            "community_id": str(community_id),
            "valid_from": since.isoformat(),
        }
        if lat is not None and lon is not None:
            body["location"] = {"lat": lat, "lon": lon}
        building_id = uuid.UUID((await self._post("/v1/buildings", body))["id"])
        count = max(enterprises, 1 if employees else 0)
        for number in range(count):
            share = employees // count + (employees % count if number == 0 else 0)
            await self.enterprise(building_id, employees=share, since=since)
        return building_id

    async def enterprise(self, building_id: uuid.UUID, *, employees: int, since: dt.date = START) -> uuid.UUID:
        """An active enterprise with a site in the building from `since` and its headcount on that day."""
        body = {
            "uscc": uscc(),
            "name": f"杭州测试科技有限公司{uuid.uuid4().hex[:6]}",
            "legal_representative": "张三",
            "industry_section": "I",
            "industry_code": "6513",
            "contact_name": "李四",
            "contact_phone": "13800000000",
            "active_from": since.isoformat(),
            "site": {"building_id": str(building_id), "floor": "8", "unit": "801", "valid_from": since.isoformat()},
        }
        enterprise_id = (await self._post("/v1/enterprises", body))["id"]
        figures = {"as_of": since.isoformat(), "employees": employees}
        await self._post(f"/v1/enterprises/{enterprise_id}/headcounts", figures)
        return uuid.UUID(enterprise_id)

    async def transfer(self, building_id: uuid.UUID, to_community: uuid.UUID, effective_on: dt.date) -> int:
        """Move the building to `to_community` from `effective_on`; returns the feed seq of its BuildingTransferred."""
        body = {"to_community_id": str(to_community), "effective_on": effective_on.isoformat(), "reason": "test"}
        await self._post(f"/v1/buildings/{building_id}/transfers", body)
        return await self.transferred_seq(building_id, effective_on)

    async def transferred_seq(self, building_id: uuid.UUID, effective_on: dt.date, wait_seconds: float = 15.0) -> int:
        """The feed seq of the building's BuildingTransferred event (the feed holds an event back while older
        transactions anywhere on the server are still open, so wait until it shows)."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            response = await self.client.get("/internal/events", params={"limit": 1000}, headers=admin_headers())
            assert response.status_code == 200, response.text
            for event in response.json()["items"]:
                payload = event["payload"]
                if (
                    event["type"] == "BuildingTransferred"
                    and payload.get("building_id") == str(building_id)
                    and payload.get("effective_on") == effective_on.isoformat()
                ):
                    seq: int = event["seq"]
                    return seq
            assert asyncio.get_running_loop().time() < deadline, "the transfer never showed in the registry's feed"
            await asyncio.sleep(0.05)
