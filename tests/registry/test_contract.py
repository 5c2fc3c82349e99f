"""The registry's contract with the other services: shapes and dated answers they rely on."""

from __future__ import annotations

import httpx

from shared.auth import Role
from tests.registry import factories
from tests.support.identities import admin, auth, identity

SERVICE = auth(identity(Role.service))


async def test_building_shape_and_jurisdiction_history_follow_a_transfer(registry_app: httpx.AsyncClient) -> None:
    old = await factories.community(registry_app)
    new = await factories.community(registry_app)
    building = await factories.building(
        registry_app, old["id"], location={"lat": 30.2, "lon": 120.2}, floors=30, units=400
    )

    moved = await registry_app.post(
        f"/v1/buildings/{building['id']}/transfers",
        json={"to_community_id": new["id"], "effective_on": "2023-05-12", "reason": "新社区成立"},
        headers=auth(admin()),
    )
    assert moved.status_code == 201, moved.text

    fetched = await registry_app.get(f"/v1/buildings/{building['id']}", headers=SERVICE)
    assert fetched.status_code == 200
    body = fetched.json()
    assert body["community_id"] == new["id"]
    assert body["location"] == {"lat": 30.2, "lon": 120.2}
    assert {"id", "name", "kind", "address", "floors", "version"} <= body.keys()
    assert fetched.headers["ETag"] == f'"v{body["version"]}"'

    history = (await registry_app.get(f"/v1/buildings/{building['id']}/jurisdiction", headers=SERVICE)).json()
    assert [(p["community_id"], p["valid_from"], p["valid_to"]) for p in history["items"]] == [
        (old["id"], "2020-01-01", "2023-05-12"),
        (new["id"], "2023-05-12", None),
    ]

    community = (await registry_app.get(f"/v1/communities/{new['id']}", headers=SERVICE)).json()
    assert {"id", "code", "name_zh", "name_en", "type", "street"} <= community.keys()


async def test_community_buildings_answer_for_any_date(registry_app: httpx.AsyncClient) -> None:
    old = await factories.community(registry_app)
    new = await factories.community(registry_app)
    building = await factories.building(registry_app, old["id"])
    await registry_app.post(
        f"/v1/buildings/{building['id']}/transfers",
        json={"to_community_id": new["id"], "effective_on": "2023-05-12", "reason": "划转"},
        headers=auth(admin()),
    )

    async def ids(community_id: str, as_of: str) -> list[str]:
        response = await registry_app.get(f"/v1/communities/{community_id}/buildings?as_of={as_of}", headers=SERVICE)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(old["id"], "2023-05-11") == [building["id"]]
    assert await ids(old["id"], "2023-05-12") == []
    assert await ids(new["id"], "2023-05-12") == [building["id"]]
    assert await ids(new["id"], "2019-12-31") == []


async def test_roll_and_headcounts_count_active_enterprises_on_the_date(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    tower_a = await factories.building(registry_app, community["id"])
    tower_b = await factories.building(registry_app, community["id"])
    other = await factories.community(registry_app)
    elsewhere = await factories.building(registry_app, other["id"])

    two_sites = await factories.enterprise(
        registry_app,
        tower_a["id"],
        valid_from="2021-01-01",
        active_from="2021-01-01",
        representative={"name": "王五", "user_subject": "user-42", "valid_until": "2030-12-31"},
    )
    await registry_app.post(
        f"/v1/enterprises/{two_sites['id']}/occupancies",
        json={"building_id": tower_b["id"], "floor": "3", "unit": "301", "valid_from": "2021-01-01"},
        headers=auth(admin()),
    )
    late = await factories.enterprise(registry_app, tower_a["id"], valid_from="2024-01-01", active_from="2024-01-01")
    await factories.enterprise(registry_app, elsewhere["id"], valid_from="2021-01-01", active_from="2021-01-01")
    gone = await factories.enterprise(registry_app, tower_b["id"], valid_from="2021-01-01", active_from="2021-01-01")
    changed = await registry_app.post(
        f"/v1/enterprises/{gone['id']}/status-changes",
        json={"status": "moved_out", "effective_on": "2022-06-01"},
        headers=auth(admin()),
    )
    assert changed.status_code == 201, changed.text
    for enterprise, employees in ((two_sites, 100), (late, 10), (gone, 7)):
        reported = await registry_app.post(
            f"/v1/enterprises/{enterprise['id']}/headcounts",
            json={"as_of": "2021-06-30", "employees": employees, "average_age": 29.5},
            headers=auth(admin()),
        )
        assert reported.status_code == 201, reported.text

    roll = await registry_app.get(f"/internal/communities/{community['id']}/roll?as_of=2023-01-01", headers=SERVICE)
    assert roll.status_code == 200, roll.text
    assert roll.json()["items"] == [
        {
            "enterprise_id": two_sites["id"],
            "uscc": two_sites["uscc"],
            "name": two_sites["name"],
            "representative_subject": "user-42",
        }
    ]
    earlier = (
        await registry_app.get(f"/internal/communities/{community['id']}/roll?as_of=2022-01-01", headers=SERVICE)
    ).json()
    assert sorted(item["enterprise_id"] for item in earlier["items"]) == sorted([two_sites["id"], gone["id"]])
    assert [item["uscc"] for item in earlier["items"]] == sorted(item["uscc"] for item in earlier["items"])

    counts = await registry_app.get(
        f"/internal/communities/{community['id']}/headcounts?as_of=2023-01-01", headers=SERVICE
    )
    assert counts.status_code == 200, counts.text
    by_building = {item["building_id"]: item for item in counts.json()["items"]}
    assert by_building == {
        tower_a["id"]: {"building_id": tower_a["id"], "enterprises": 1, "employees": 50},
        tower_b["id"]: {"building_id": tower_b["id"], "enterprises": 1, "employees": 50},
    }


async def test_internal_routes_refuse_people_without_the_service_role(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    for role in (Role.community_staff, Role.enterprise_rep, Role.employee):
        refused = await registry_app.get(f"/internal/communities/{community['id']}/roll", headers=auth(identity(role)))
        assert refused.status_code == 403
