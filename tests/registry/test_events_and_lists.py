"""Feed events for status and site changes, and the community list filters."""

from __future__ import annotations

import httpx

from tests.registry import factories
from tests.support.identities import admin, auth


async def test_status_and_site_changes_are_published(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    building = await factories.building(registry_app, community["id"])
    enterprise = await factories.enterprise(
        registry_app, building["id"], valid_from="2021-01-01", active_from="2021-01-01"
    )
    sites = (await registry_app.get(f"/v1/enterprises/{enterprise['id']}/occupancies", headers=auth(admin()))).json()
    site = sites["items"][0]

    ended = await registry_app.post(
        f"/v1/enterprises/{enterprise['id']}/occupancies/{site['id']}/end",
        json={"valid_to": "2024-07-01"},
        headers=auth(admin()),
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["valid_to"] == "2024-07-01"
    moved = await registry_app.post(
        f"/v1/enterprises/{enterprise['id']}/status-changes",
        json={"status": "moved_out", "effective_on": "2024-07-01"},
        headers=auth(admin()),
    )
    assert moved.status_code == 201, moved.text
    assert [(p["status"], p["valid_to"]) for p in moved.json()["items"]][-1] == ("moved_out", None)

    started = await factories.events(registry_app, "OccupancyStarted", 1)
    finished = await factories.events(registry_app, "OccupancyEnded", 1)
    status = await factories.events(registry_app, "EnterpriseStatusChanged", 1)
    common = {
        "enterprise_id": enterprise["id"],
        "building_id": building["id"],
        "community_id": community["id"],
        "floor": "8",
        "unit": "801",
        "valid_from": "2021-01-01",
    }
    assert started[0]["payload"] == {**common, "valid_to": None}
    assert finished[0]["payload"] == {**common, "valid_to": "2024-07-01"}
    assert status[0]["payload"] == {
        "enterprise_id": enterprise["id"],
        "uscc": enterprise["uscc"],
        "status": "moved_out",
        "effective_on": "2024-07-01",
    }
    registered = await factories.events(registry_app, "EnterpriseRegistered", 1)
    assert registered[0]["payload"] == {
        "enterprise_id": enterprise["id"],
        "uscc": enterprise["uscc"],
        "name": enterprise["name"],
    }
    assert started[0]["seq"] < finished[0]["seq"] < status[0]["seq"]

    roll = await registry_app.get(
        f"/internal/communities/{community['id']}/roll?as_of=2024-07-01", headers=auth(admin())
    )
    assert roll.json()["items"] == []
    again = await registry_app.post(
        f"/v1/enterprises/{enterprise['id']}/status-changes",
        json={"status": "moved_out", "effective_on": "2024-08-01"},
        headers=auth(admin()),
    )
    assert again.status_code == 409


async def test_communities_filter_by_type_and_street_with_pages(registry_app: httpx.AsyncClient) -> None:
    created = [await factories.community(registry_app, type="smart_manufacturing", street="浦沿街道") for _ in range(3)]
    await factories.community(registry_app, type="smart_manufacturing", street="西兴街道")
    await factories.community(registry_app, type="cultural_creative", street="浦沿街道")

    seen: list[str] = []
    url = "/v1/communities?type=smart_manufacturing&street=浦沿街道&limit=2"
    while url:
        page = await registry_app.get(url, headers=auth(admin()))
        assert page.status_code == 200, page.text
        seen.extend(item["id"] for item in page.json()["items"])
        cursor = page.json().get("next_cursor")
        url = f"/v1/communities?type=smart_manufacturing&street=浦沿街道&limit=2&cursor={cursor}" if cursor else ""
    assert seen == [community["id"] for community in sorted(created, key=lambda c: c["code"])]

    unknown = await registry_app.get("/v1/communities?type=harbour", headers=auth(admin()))
    assert unknown.status_code == 422
