"""`GET /internal/communities/{id}/building-counts`: a community's buildings per day of a range, in one call."""

from __future__ import annotations

import uuid

import httpx

from shared.auth import Role
from tests.registry import factories
from tests.support.identities import admin, auth, identity, staff

SERVICE = auth(identity(Role.service))


def _path(community_id: str, starts_on: str, ends_on: str) -> str:
    return f"/internal/communities/{community_id}/building-counts?starts_on={starts_on}&ends_on={ends_on}"


async def test_each_day_counts_the_buildings_that_belonged_to_the_community(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    other = await factories.community(registry_app)
    await factories.building(registry_app, community["id"], valid_from="2024-01-01")
    await factories.building(registry_app, community["id"], valid_from="2024-01-03")
    moving = await factories.building(registry_app, community["id"], valid_from="2024-01-02")
    moved = await registry_app.post(
        f"/v1/buildings/{moving['id']}/transfers",
        json={"to_community_id": other["id"], "effective_on": "2024-01-04", "reason": "划转"},
        headers=auth(admin()),
    )
    assert moved.status_code == 201, moved.text

    answer = await registry_app.get(_path(community["id"], "2023-12-31", "2024-01-05"), headers=SERVICE)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["community_id"], body["starts_on"], body["ends_on"]) == (community["id"], "2023-12-31", "2024-01-05")
    assert [(item["day"], item["buildings"]) for item in body["items"]] == [
        ("2023-12-31", 0),
        ("2024-01-01", 1),
        ("2024-01-02", 2),
        ("2024-01-03", 3),
        ("2024-01-04", 2),
        ("2024-01-05", 2),
    ]
    other_days = await registry_app.get(_path(other["id"], "2024-01-03", "2024-01-04"), headers=SERVICE)
    assert [item["buildings"] for item in other_days.json()["items"]] == [0, 1]


async def test_a_range_is_bounded_and_ordered(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    longest = await registry_app.get(_path(community["id"], "2024-01-01", "2024-12-31"), headers=SERVICE)
    assert longest.status_code == 200, longest.text
    assert len(longest.json()["items"]) == 366
    for starts_on, ends_on in (
        ("2024-01-01", "2025-01-01"),
        ("2020-01-01", "2030-12-14"),
        ("2024-01-02", "2024-01-01"),
    ):
        refused = await registry_app.get(_path(community["id"], starts_on, ends_on), headers=SERVICE)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "DATE_RANGE_INVALID"
        assert [item["parameter"] for item in refused.json()["errors"]] == ["ends_on"]


async def test_bad_dates_unknown_communities_and_other_roles_are_refused(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    base = f"/internal/communities/{community['id']}/building-counts"
    missing = await registry_app.get(f"{base}?starts_on=2024-01-01", headers=SERVICE)
    assert missing.status_code == 422 and "2024" not in missing.text.replace("2024-01-01", "")
    not_a_date = await registry_app.get(f"{base}?starts_on=0&ends_on=2024-01-01", headers=SERVICE)
    assert not_a_date.status_code == 422, not_a_date.text
    unknown = await registry_app.get(_path(str(uuid.uuid4()), "2024-01-01", "2024-01-02"), headers=SERVICE)
    assert unknown.status_code == 404 and unknown.json()["code"] == "COMMUNITY_NOT_FOUND"
    own_staff = auth(staff(uuid.UUID(community["id"])))
    for headers, status in ((own_staff, 403), (auth(identity(Role.partner)), 403), ({}, 401)):
        refused = await registry_app.get(_path(community["id"], "2024-01-01", "2024-01-02"), headers=headers)
        assert refused.status_code == status, refused.text
