"""Small async factories for grid tests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from tests.support.identities import admin, auth


def admin_headers() -> dict[str, str]:
    """A platform admin's identity header, freshly minted (internal tokens live 60 s)."""
    return auth(admin())


async def make_grid(
    client: httpx.AsyncClient,
    community_id: uuid.UUID,
    name: str = "网格",
    *,
    parent_id: uuid.UUID | None = None,
    valid_from: dt.date = dt.date(2024, 1, 1),
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"community_id": str(community_id), "name": name, "valid_from": valid_from.isoformat()}
    if parent_id is not None:
        body["parent_id"] = str(parent_id)
    response = await client.post("/v1/grids", json=body, headers=headers or admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def assign(
    client: httpx.AsyncClient,
    grid_id: str,
    building_id: uuid.UUID,
    *,
    floors: tuple[int | None, int | None] = (None, None),
    valid_from: dt.date = dt.date(2024, 1, 1),
    valid_to: dt.date | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {
        "building_id": str(building_id),
        "floor_from": floors[0],
        "floor_to": floors[1],
        "valid_from": valid_from.isoformat(),
        "valid_to": valid_to.isoformat() if valid_to else None,
    }
    return await client.post(f"/v1/grids/{grid_id}/assignments", json=body, headers=headers or admin_headers())


async def make_worker(
    client: httpx.AsyncClient, community_id: uuid.UUID, name: str = "王芳", subject: str | None = None
) -> dict[str, Any]:
    body = {"community_id": str(community_id), "name": name, "phone": "13800000000", "user_subject": subject}
    response = await client.post("/v1/grid-workers", json=body, headers=admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
