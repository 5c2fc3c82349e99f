"""N-minute circles: coverage matches a hand computation on a small fixture."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.grid.conftest import staff_headers
from tests.grid.helpers import admin_headers
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth, employee

# On one meridian the great-circle distance is R·Δφ, with R = 6,378,168 m (earthdistance's earth()):
# 0.001° = 111.3185 m.  Walking minutes = metres × 1.3 ÷ 75 (4.5 km/h = 75 m/min).
#   B1 (30.2000) → life 30.2060: 667.91 m, 11.58 min (≤ 15 inside); medical 30.2100: 1113.18 m, 19.30 min (outside);
#                  fitness 30.2050: 556.59 m, 9.65 min (≤ 10 inside)
#   B2 (30.2100) → life 445.27 m, 7.72 min; medical 0 m, 0 min; fitness 556.59 m, 9.65 min
# Employees: B1 300, B2 100 → medical share = 100 / 400 = 0.25; no reading facility → 0.


async def _facility(grid: httpx.AsyncClient, community: uuid.UUID, kind: str, lat: float) -> dict[str, Any]:
    body = {"community_id": str(community), "kind": kind, "name": f"{kind} {lat}", "lat": lat, "lon": 120.2}
    response = await grid.post("/v1/facilities", json=body, headers=admin_headers())
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_coverage_matches_a_hand_computation(grid: httpx.AsyncClient, registry: RegistryData) -> None:
    community = await registry.community("XG")
    b1 = await registry.building(community, "B1", lat=30.2000, lon=120.2, employees=300)
    b2 = await registry.building(community, "B2", lat=30.2100, lon=120.2, employees=100)
    no_location = await registry.building(community, "B3", employees=50)
    life = await _facility(grid, community, "life", 30.2060)
    await _facility(grid, community, "life", 30.2500)  # farther from both: never the nearest
    medical = await _facility(grid, community, "medical", 30.2100)
    await _facility(grid, community, "fitness", 30.2050)

    response = await grid.get("/v1/circles/coverage", params={"community_id": str(community)}, headers=admin_headers())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["method"]["earth_radius_m"] == 6378168
    assert [(c["kind"], c["minutes"], c["walking_speed_kmh"], c["detour_factor"]) for c in report["circles"]] == [
        ("life", 15, 4.5, 1.3),
        ("medical", 15, 4.5, 1.3),
        ("fitness", 10, 4.5, 1.3),
        ("reading", 10, 4.5, 1.3),
    ]
    buildings = {b["name"]: b for b in report["buildings"]}
    first = buildings["B1"]["nearest"]
    assert first["life"]["facility_id"] == life["id"]
    assert first["life"]["distance_m"] == pytest.approx(667.91, abs=0.1)
    assert first["life"]["minutes"] == pytest.approx(11.58, abs=0.01) and first["life"]["inside"] is True
    assert first["medical"]["distance_m"] == pytest.approx(1113.18, abs=0.1)
    assert first["medical"]["minutes"] == pytest.approx(19.30, abs=0.01) and first["medical"]["inside"] is False
    assert first["fitness"]["minutes"] == pytest.approx(9.65, abs=0.01) and first["fitness"]["inside"] is True
    assert first["reading"] is None
    second = buildings["B2"]["nearest"]
    assert second["life"]["distance_m"] == pytest.approx(445.27, abs=0.1)
    assert second["medical"]["facility_id"] == medical["id"] and second["medical"]["distance_m"] == pytest.approx(0)

    coverage = report["coverage"]
    assert coverage["life"]["share_by_employees"] == 1.0
    assert coverage["medical"]["share_by_employees"] == 0.25
    assert coverage["medical"]["outside_building_ids"] == [str(b1)]
    assert coverage["fitness"]["share_by_employees"] == 1.0
    assert coverage["reading"]["share_by_employees"] == 0.0
    assert sorted(coverage["reading"]["outside_building_ids"]) == sorted([str(b1), str(b2)])
    assert coverage["medical"]["employees_total"] == 400
    assert report["buildings_without_location"] == [str(no_location)]

    tighter = await grid.put(
        "/v1/circles/fitness",
        params={"community_id": str(community)},
        json={"minutes": 9},
        headers=staff_headers(community),
    )
    assert tighter.status_code == 200
    again = (
        await grid.get("/v1/circles/coverage", params={"community_id": str(community)}, headers=admin_headers())
    ).json()
    assert again["coverage"]["fitness"]["share_by_employees"] == 0.0  # 9.65 min > 9


async def test_facilities_are_readable_by_employees_and_managed_by_staff(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    created = await _facility(grid, community, "reading", 30.21)
    reader = auth(employee(uuid.uuid4()))
    listed = await grid.get("/v1/facilities", params={"community_id": str(community)}, headers=reader)
    assert [f["id"] for f in listed.json()["items"]] == [created["id"]]
    path = f"/v1/facilities/{created['id']}"
    assert (await grid.patch(path, json={"name": "书屋"}, headers=admin_headers())).status_code == 428
    other_staff = staff_headers(await registry.community("IOT"))
    refused = await grid.patch(path, json={"name": "书屋"}, headers={**other_staff, "If-Match": '"v1"'})
    assert refused.status_code == 403
    renamed = await grid.patch(path, json={"name": "书屋"}, headers={**admin_headers(), "If-Match": '"v1"'})
    assert renamed.status_code == 200 and renamed.headers["ETag"] == '"v2"'
    stale = await grid.patch(path, json={"name": "x"}, headers={**admin_headers(), "If-Match": '"v1"'})
    assert stale.status_code == 412
