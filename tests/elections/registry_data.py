"""Registry records for elections tests, made through the real registry's HTTP API as a platform admin.

The elections app reads its roll and its feed from the same registry app in-process, so a community
built here is exactly what the roll freeze sees, and a representative change or deregistration made
here reaches the election only through the registry's event feed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.auth import Identity
from tests.registry.factories import uscc
from tests.support.identities import admin, auth

SINCE = dt.date(2021, 1, 1)
CREATE_CONCURRENCY = 20  # enterprises registered at once (the registry's pool serves them in parallel)


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


@dataclass(frozen=True)
class Enterprise:
    """An enterprise on a community's roll, and who its representative is (as the registry reports it)."""

    enterprise_id: uuid.UUID
    uscc: str
    name: str
    representative_subject: str | None


class RegistryData:
    """Creates communities with enterprises and representatives, and changes them, in the real registry."""

    def __init__(self, client: httpx.AsyncClient, sign: Callable[[Identity], dict[str, str]] = auth) -> None:
        self.client = client
        self.sign = sign  # the platform's JWTs when `client` talks to the gateway

    async def _send(self, method: str, path: str, body: dict[str, Any], expect: int = 201, **headers: str) -> Any:
        response = await self.client.request(method, path, json=body, headers=self.sign(admin()) | headers)
        assert response.status_code == expect, response.text
        return response.json()

    async def community(self, size: int) -> tuple[uuid.UUID, list[Enterprise]]:
        """A community with one building and `size` active enterprises sited there since 2021, each with an
        authorised representative; returns the community and its roll in creation order."""
        code = f"E-{uuid.uuid4().hex[:10].upper()}"
        body = {"code": code, "name_zh": f"选举社区{code}", "name_en": code, "type": "business_building"}
        community_id = (await self._send("POST", "/v1/communities", body | {"street": "长河街道"}))["id"]
        building = {
            "name": f"选举大厦{code}",
            "kind": "office_tower",
            "address": "滨江区江南大道 1 号",
            "community_id": community_id,
            "valid_from": SINCE.isoformat(),
        }
        building_id = (await self._send("POST", "/v1/buildings", building))["id"]
        gate = asyncio.Semaphore(CREATE_CONCURRENCY)

        async def one(number: int) -> Enterprise:
            async with gate:
                return await self.enterprise(building_id, f"企业{number:04d}{code}")

        roll = await asyncio.gather(*(one(n) for n in range(size)))
        return uuid.UUID(community_id), list(roll)

    async def enterprise(self, building_id: str, name: str) -> Enterprise:
        subject = f"rep-{uuid.uuid4().hex[:12]}"
        body = {
            "uscc": uscc(),
            "name": name,
            "legal_representative": "张三",
            "industry_section": "I",
            "industry_code": "6513",
            "contact_name": "李四",
            "contact_phone": "13800000000",
            "active_from": SINCE.isoformat(),
            "site": {"building_id": building_id, "floor": "8", "unit": "801", "valid_from": SINCE.isoformat()},
            "representative": {"name": "代表", "user_subject": subject},
        }
        created = await self._send("POST", "/v1/enterprises", body)
        return Enterprise(uuid.UUID(created["id"]), created["uscc"], created["name"], subject)

    async def replace_representative(self, enterprise: Enterprise) -> Enterprise:
        """Authorise a new representative (the registry emits RepresentativeChanged); returns the enterprise
        as it now stands."""
        path = f"/v1/enterprises/{enterprise.enterprise_id}"
        current = await self.client.get(path, headers=self.sign(admin()))
        assert current.status_code == 200, current.text
        subject = f"rep-new-{uuid.uuid4().hex[:8]}"
        await self._send(
            "PUT",
            f"{path}/representative",
            {"name": "新代表", "user_subject": subject},
            expect=200,
            **{"If-Match": current.headers["etag"]},
        )
        return Enterprise(enterprise.enterprise_id, enterprise.uscc, enterprise.name, subject)

    async def deregister(self, enterprise: Enterprise) -> None:
        """Deregister the enterprise from today (the registry emits EnterpriseStatusChanged)."""
        body = {"status": "deregistered", "effective_on": today().isoformat()}
        await self._send("POST", f"/v1/enterprises/{enterprise.enterprise_id}/status-changes", body)

    async def wait_for_event(
        self, event_type: str, enterprise: Enterprise, wait_seconds: float = 20.0, **payload: str | None
    ) -> None:
        """Wait until the registry's feed shows `event_type` for the enterprise with `payload` among its fields
        (the feed holds an event back while older transactions anywhere on the server are still open)."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            response = await self.client.get("/internal/events", params={"limit": 1000}, headers=self.sign(admin()))
            assert response.status_code == 200, response.text
            for event in response.json()["items"]:
                if (
                    event["type"] == event_type
                    and event["aggregate_id"] == str(enterprise.enterprise_id)
                    and all(event["payload"].get(key) == value for key, value in payload.items())
                ):
                    return
            assert asyncio.get_running_loop().time() < deadline, f"{event_type} never showed in the registry's feed"
            await asyncio.sleep(0.05)
