"""The whole request lifecycle through the real gateway, with real ES256 user tokens."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.conftest import RunningPlatform
from tests.service_requests.conftest import World, type_body

pytestmark = pytest.mark.e2e


async def _act(
    client: httpx.AsyncClient, headers: dict[str, str], request_id: str, action: str, version: int, **extra: str
) -> httpx.Response:
    return await client.post(
        f"/v1/service-requests/{request_id}/transitions",
        json={"action": action, **extra},
        headers={**headers, "If-Match": f'"v{version}"'},
    )


async def test_lifecycle_with_a_reopening_rating_through_the_gateway(platform: RunningPlatform) -> None:
    world = World()
    staff = platform.auth(world.staff())
    requester = platform.auth(world.employee())
    async with platform.client() as client:
        created_type = await client.post("/v1/service-types", json=type_body(world.community_id), headers=staff)
        assert created_type.status_code == 201, created_type.text
        type_id = created_type.json()["id"]

        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"type_id": type_id, "description": "企业申请融资对接", "answers": {"amount": 500}}
        filed = await client.post("/v1/service-requests", json=body, headers={**requester, **key})
        assert filed.status_code == 201, filed.text
        again = await client.post("/v1/service-requests", json=body, headers={**requester, **key})
        assert again.json()["id"] == filed.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        request_id = filed.json()["id"]

        version = 1
        for action, extra in (("accept", {}), ("assign", {}), ("start", {}), ("resolve", {"reason": "已对接"})):
            moved = await _act(client, staff, request_id, action, version, **extra)
            assert moved.status_code == 200, moved.text
            version = moved.json()["version"]

        stale = await _act(client, staff, request_id, "close", 1)
        assert stale.status_code == 412
        missing = await client.post(
            f"/v1/service-requests/{request_id}/transitions", json={"action": "close"}, headers=staff
        )
        assert missing.status_code == 428

        reopened = await client.post(
            f"/v1/service-requests/{request_id}/rating", json={"score": 1, "comment": "不满意"}, headers=requester
        )
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["status"] == "reopened"
        version = reopened.json()["version"]
        illegal = await _act(client, staff, request_id, "close", version)
        assert illegal.status_code == 409
        assert illegal.json()["allowed_actions"] == ["assign", "start"]

        for action, extra in (("start", {}), ("resolve", {"reason": "整改完成"})):
            moved = await _act(client, staff, request_id, action, version, **extra)
            assert moved.status_code == 200, moved.text
            version = moved.json()["version"]
        closed = await client.post(f"/v1/service-requests/{request_id}/rating", json={"score": 5}, headers=requester)
        assert closed.json()["status"] == "closed"

        timeline = await client.get(f"/v1/service-requests/{request_id}/timeline", headers=requester)
        statuses = [item["to_status"] for item in timeline.json()["items"] if item["kind"] == "transition"]
        first_round = ["submitted", "accepted", "assigned", "in_progress", "resolved"]
        assert statuses == [*first_round, "reopened", "in_progress", "resolved", "closed"]

        stranger = platform.auth(world.employee(world.other_enterprise_id))
        hidden = await client.get(f"/v1/service-requests/{request_id}", headers=stranger)
        assert hidden.status_code == 403
        anonymous = await client.get(f"/v1/service-requests/{request_id}")
        assert anonymous.status_code == 401

        open311 = await client.get(f"/open311/v2/requests/{request_id}.xml", headers=requester)
        assert open311.status_code == 200
        assert b"<status>closed</status>" in open311.content
