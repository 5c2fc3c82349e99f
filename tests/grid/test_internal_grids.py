"""`GET /internal/grids/{id}`: a grid's community for platform services (the identity service's grants)."""

from __future__ import annotations

import uuid

import httpx

from shared.auth import Identity, Role
from shared.clients import service_headers
from tests.grid.helpers import make_grid
from tests.grid.registry_data import RegistryData
from tests.support.identities import TEST_SECRET, auth, staff


async def test_a_service_reads_a_grids_community(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("IG")
    made = await make_grid(grid, community, "一号网格")
    answer = await grid.get(f"/internal/grids/{made['id']}", headers=service_headers("identity", TEST_SECRET))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": made["id"], "community_id": str(community), "retired": False}

    missing = await grid.get(f"/internal/grids/{uuid.uuid4()}", headers=service_headers("identity", TEST_SECRET))
    assert missing.status_code == 404 and missing.json()["code"] == "GRID_NOT_FOUND"


async def test_only_platform_services_may_ask(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("IH")
    made = await make_grid(grid, community, "一号网格")
    path = f"/internal/grids/{made['id']}"
    assert (await grid.get(path)).status_code == 401
    for who in (staff(community), Identity(subject="x", roles=frozenset({Role.platform_admin}))):
        assert (await grid.get(path, headers=auth(who))).status_code == 403
