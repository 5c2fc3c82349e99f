"""`GET /internal/grids/{id}`: a grid's community for platform services (the identity service's grants)."""

from __future__ import annotations

import uuid

import httpx

from shared.auth import Identity, Role
from shared.clients import service_headers
from tests.grid.helpers import admin_headers, make_grid, make_worker
from tests.grid.registry_data import RegistryData
from tests.support.identities import TEST_SECRET, auth, staff


async def test_a_service_reads_a_grids_community(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("IG")
    made = await make_grid(grid, community, "一号网格")
    answer = await grid.get(f"/internal/grids/{made['id']}", headers=service_headers("identity", TEST_SECRET))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "id": made["id"],
        "community_id": str(community),
        "retired": False,
        "worker_on_duty": None,
    }

    missing = await grid.get(f"/internal/grids/{uuid.uuid4()}", headers=service_headers("identity", TEST_SECRET))
    assert missing.status_code == 404 and missing.json()["code"] == "GRID_NOT_FOUND"


async def test_only_platform_services_may_ask(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("IH")
    made = await make_grid(grid, community, "一号网格")
    path = f"/internal/grids/{made['id']}"
    assert (await grid.get(path)).status_code == 401
    for who in (staff(community), Identity(subject="x", roles=frozenset({Role.platform_admin}))):
        assert (await grid.get(path, headers=auth(who))).status_code == 403


async def test_a_service_asks_whether_an_account_s_worker_is_on_duty(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("IW")
    made = await make_grid(grid, community, "一号网格")
    account = str(uuid.uuid4())
    headers = service_headers("identity", TEST_SECRET)

    async def on_duty(subject: str) -> object:
        answer = await grid.get(f"/internal/grids/{made['id']}", params={"user_subject": subject}, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["worker_on_duty"]

    assert await on_duty(account) is False
    worker = await make_worker(grid, community, subject=account)
    assert await on_duty(account) is False  # registered, but no duty in this grid
    duty = await grid.post(
        f"/v1/grids/{made['id']}/duties",
        json={"worker_id": worker["id"], "valid_from": "2024-07-01"},
        headers=admin_headers(),
    )
    assert duty.status_code == 201, duty.text
    assert await on_duty(account) is True
    ended = await grid.post(
        f"/v1/grids/{made['id']}/duties",  # before the current primary's, so no overlap
        json={
            "worker_id": (await make_worker(grid, community, "李雷", subject="other"))["id"],
            "valid_from": "2024-01-01",
            "valid_to": "2024-06-01",
        },
        headers=admin_headers(),
    )
    assert ended.status_code == 201, ended.text
    assert await on_duty("other") is False  # a duty that ended long ago
