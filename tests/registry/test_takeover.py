"""Staff of one community cannot take over another community's enterprise (issue 15, defect 1)."""

from __future__ import annotations

import httpx

from tests.registry import factories
from tests.support.database import row_count
from tests.support.identities import admin, auth, staff


async def test_staff_cannot_move_another_communitys_enterprise_into_their_building(
    registry_app: httpx.AsyncClient, database_url: str
) -> None:
    home, other = await factories.community(registry_app), await factories.community(registry_app)
    home_tower = await factories.building(registry_app, home["id"])
    other_tower = await factories.building(registry_app, other["id"])
    enterprise = await factories.enterprise(registry_app, building_id=home_tower["id"])
    before = await row_count(database_url, "registry.occupancy")
    site = {"building_id": other_tower["id"], "floor": "3", "unit": "301", "valid_from": "2026-01-01"}

    taken = await registry_app.post(
        f"/v1/enterprises/{enterprise['id']}/occupancies", json=site, headers=auth(staff(other["id"]))
    )
    assert taken.status_code == 403, taken.text
    assert await row_count(database_url, "registry.occupancy") == before
    details = await registry_app.get(f"/v1/enterprises/{enterprise['id']}", headers=auth(staff(other["id"])))
    assert details.status_code == 200 and details.json().get("contact_phone") is None  # still not theirs to see

    moved = await registry_app.post(
        f"/v1/enterprises/{enterprise['id']}/occupancies", json=site, headers=auth(staff(home["id"]))
    )
    assert moved.status_code == 201, moved.text  # its own community's staff may move it
    assert (
        await registry_app.post(
            f"/v1/enterprises/{enterprise['id']}/occupancies",
            json=dict(site, unit="302"),
            headers=auth(admin()),
        )
    ).status_code == 201


async def test_a_newcomer_with_no_site_is_placed_by_the_buildings_community(
    registry_app: httpx.AsyncClient, database_url: str
) -> None:
    home, other = await factories.community(registry_app), await factories.community(registry_app)
    tower = await factories.building(registry_app, home["id"])
    newcomer = await factories.enterprise(registry_app)
    site = {"building_id": tower["id"], "floor": "5", "unit": "501", "valid_from": "2026-01-01"}
    refused = await registry_app.post(
        f"/v1/enterprises/{newcomer['id']}/occupancies", json=site, headers=auth(staff(other["id"]))
    )
    assert refused.status_code == 403
    placed = await registry_app.post(
        f"/v1/enterprises/{newcomer['id']}/occupancies", json=site, headers=auth(staff(home["id"]))
    )
    assert placed.status_code == 201, placed.text
