"""Races between real processes: concurrent requests through the gateway, then the rows they left.

The in-process races share one event loop with the service; these go over loopback HTTP to the
uvicorn processes of `tests/e2e/conftest.py`, each request on its own connection.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningPlatform
from tests.registry.factories import uscc
from tests.service_requests.conftest import World, type_body
from tests.support.identities import admin
from tests.support.rows import rows

pytestmark = pytest.mark.e2e


async def _concurrently(platform: RunningPlatform, calls: list[dict[str, Any]]) -> list[httpx.Response]:
    """Each call on a client of its own, so each is a separate connection to the gateway."""

    async def one(call: dict[str, Any]) -> httpx.Response:
        async with platform.client(timeout=30) as client:
            return await client.request(**call)

    return list(await asyncio.gather(*(one(call) for call in calls)))


async def test_registry_one_enterprise_per_uscc(platform: RunningPlatform) -> None:
    code = uscc()
    body = {"uscc": code, "name": "杭州竞速科技有限公司", "legal_representative": "张三", "industry_section": "I"}
    call = {"method": "POST", "url": "/v1/enterprises", "json": body, "headers": platform.auth(admin())}
    answers = await _concurrently(platform, [call] * 6)
    assert sorted(answer.status_code for answer in answers) == [201] + [409] * 5
    stored = await rows(os.environ["TEST_DATABASE_URL"], "SELECT id FROM registry.enterprise WHERE uscc = $1", code)
    assert [str(row["id"]) for row in stored] == [next(a for a in answers if a.status_code == 201).json()["id"]]


async def test_service_requests_one_transition_per_version(platform: RunningPlatform) -> None:
    world = World()
    async with platform.client() as client:
        created_type = await client.post(
            "/v1/service-types", json=type_body(world.community_id), headers=platform.auth(world.staff())
        )
        assert created_type.status_code == 201, created_type.text
        body = {"type_id": created_type.json()["id"], "description": "竞速", "answers": {"amount": 300}}
        submitted = await client.post("/v1/service-requests", json=body, headers=platform.auth(world.employee()))
        assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    call = {
        "method": "POST",
        "url": f"/v1/service-requests/{request_id}/transitions",
        "json": {"action": "accept"},
        "headers": {**platform.auth(world.staff()), "If-Match": '"v1"'},
    }
    answers = await _concurrently(platform, [call] * 6)
    assert sorted(answer.status_code for answer in answers) == [200] + [412] * 5
    stored = await rows(
        os.environ["TEST_DATABASE_URL"],
        "SELECT status, version FROM requests.service_request WHERE id = $1",
        uuid.UUID(request_id),
    )
    assert stored == [{"status": "accepted", "version": 2}]


async def test_grid_codes_stay_a_gapless_sequence(platform: RunningPlatform) -> None:
    root = platform.auth(admin())
    async with platform.client() as client:
        code = f"R{uuid.uuid4().hex[:5].upper()}"
        community = {"code": code, "name_zh": code, "name_en": code, "type": "business_building", "street": "长河街道"}
        created = await client.post("/v1/communities", json=community, headers=root)
        assert created.status_code == 201, created.text
    community_id = created.json()["id"]
    calls = [
        {
            "method": "POST",
            "url": "/v1/grids",
            "json": {"community_id": community_id, "name": f"网格 {n}", "valid_from": "2024-01-01"},
            "headers": root,
        }
        for n in range(6)
    ]
    answers = await _concurrently(platform, calls)
    assert [answer.status_code for answer in answers] == [201] * 6, [answer.text for answer in answers]
    stored = await rows(
        os.environ["TEST_DATABASE_URL"], "SELECT code FROM grid.grid WHERE community_id = $1", uuid.UUID(community_id)
    )
    assert sorted(row["code"] for row in stored) == sorted(answer.json()["code"] for answer in answers)
    assert len({row["code"] for row in stored}) == 6
    assert sorted(int(row["code"].rsplit("-", 1)[1]) for row in stored) == [1, 2, 3, 4, 5, 6]
