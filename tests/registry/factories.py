"""Small async factories that build registry records through the API, as a user would."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import httpx

from tests.support.identities import admin, auth

_counter = itertools.count(1)


async def community(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    number = next(_counter)
    body = {
        "code": f"T-{number:05d}-{uuid.uuid4().hex[:4].upper()}",
        "name_zh": f"测试社区{number}",
        "name_en": f"Test community {number}",
        "type": "business_building",
        "street": "长河街道",
        **fields,
    }
    response = await client.post("/v1/communities", json=body, headers=auth(admin()))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def building(
    client: httpx.AsyncClient, community_id: str, valid_from: str = "2020-01-01", **fields: Any
) -> dict[str, Any]:
    body = {
        "name": f"测试大厦{next(_counter)}",
        "kind": "office_tower",
        "address": "滨江区江南大道 1 号",
        "community_id": community_id,
        "valid_from": valid_from,
        **fields,
    }
    response = await client.post("/v1/buildings", json=body, headers=auth(admin()))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# GB 32100-2015 written out here, apart from registry.enterprises.uscc, so a wrong check character
# there cannot make the factories agree with it. Weight of position i is 3**i mod 31.
GB32100_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GB32100_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def gb32100_check(first17: str) -> str:
    """The 18th character: 31 minus the weighted sum mod 31, where 31 is written 0."""
    total = sum(
        GB32100_ALPHABET.index(character) * weight for character, weight in zip(first17, GB32100_WEIGHTS, strict=True)
    )
    return GB32100_ALPHABET[(31 - total % 31) % 31]


def uscc(seed: int | None = None) -> str:
    """A valid USCC of a Binjiang enterprise (authority 9, category 1), unique per call unless `seed` is given."""
    number = seed if seed is not None else next(_counter) * 10**7 + uuid.uuid4().int % 10**7
    body = "".join(GB32100_ALPHABET[number // 31**position % 31] for position in range(9))
    first17 = "91330108" + body
    return first17 + gb32100_check(first17)


async def enterprise(
    client: httpx.AsyncClient, building_id: str | None = None, valid_from: str = "2021-01-01", **fields: Any
) -> dict[str, Any]:
    number = next(_counter)
    body: dict[str, Any] = {
        "uscc": uscc(),
        "name": f"杭州测试科技有限公司{number}",
        "legal_representative": "张三",
        "industry_section": "I",
        "industry_code": "6513",
        "contact_name": "李四",
        "contact_phone": "13800000000",
        **fields,
    }
    if building_id is not None:
        body["site"] = {"building_id": building_id, "floor": "8", "unit": "801", "valid_from": valid_from}
    response = await client.post("/v1/enterprises", json=body, headers=auth(admin()))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def events(
    client: httpx.AsyncClient, event_type: str, count: int, wait_seconds: float = 15.0
) -> list[dict[str, Any]]:
    """Events of one type from the feed, waiting (the feed holds back events while older
    transactions anywhere on the server are still running) until `count` have appeared."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        response = await client.get("/internal/events", params={"limit": 1000}, headers=auth(admin()))
        assert response.status_code == 200, response.text
        found = [event for event in response.json()["items"] if event["type"] == event_type]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.1)
