"""`DELETE /v1/communities/{id}`: only a community that never had a building can be deleted."""

from __future__ import annotations

import uuid

import httpx

from shared.auth import Role
from tests.registry import factories
from tests.support.identities import admin, auth, identity

ADMIN = auth(admin())


async def test_a_community_that_never_had_a_building_is_deleted(registry_app: httpx.AsyncClient) -> None:
    mistaken = await factories.community(registry_app)
    kept = await factories.community(registry_app)

    deleted = await registry_app.delete(f"/v1/communities/{mistaken['id']}", headers=ADMIN)

    assert deleted.status_code == 204 and deleted.content == b""
    gone = await registry_app.get(f"/v1/communities/{mistaken['id']}", headers=ADMIN)
    assert gone.status_code == 404 and gone.json()["code"] == "COMMUNITY_NOT_FOUND"
    listed = (await registry_app.get("/v1/communities", params={"limit": 100}, headers=ADMIN)).json()["items"]
    assert [c["id"] for c in listed] == [kept["id"]]
    again = await registry_app.delete(f"/v1/communities/{mistaken['id']}", headers=ADMIN)
    assert again.status_code == 404 and again.json()["code"] == "COMMUNITY_NOT_FOUND"


async def test_a_community_with_building_history_is_kept_even_after_the_building_moved_out(
    registry_app: httpx.AsyncClient,
) -> None:
    old = await factories.community(registry_app)
    new = await factories.community(registry_app)
    building = await factories.building(registry_app, old["id"], valid_from="2020-01-01")
    moved = await registry_app.post(
        f"/v1/buildings/{building['id']}/transfers",
        json={"to_community_id": new["id"], "effective_on": "2024-05-12", "reason": "划转"},
        headers=ADMIN,
    )
    assert moved.status_code == 201, moved.text
    now_empty = await registry_app.get(f"/v1/communities/{old['id']}/buildings", headers=ADMIN)
    assert now_empty.json()["items"] == []  # no building today, but it had one

    refused = await registry_app.delete(f"/v1/communities/{old['id']}", headers=ADMIN)

    assert refused.status_code == 409 and refused.json()["code"] == "COMMUNITY_IN_USE"
    assert (await registry_app.get(f"/v1/communities/{old['id']}", headers=ADMIN)).json()["id"] == old["id"]
    assert (await registry_app.delete(f"/v1/communities/{new['id']}", headers=ADMIN)).status_code == 409


async def test_only_platform_admins_delete_communities(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    staff = auth(identity(Role.community_staff, community_ids=frozenset({uuid.UUID(community["id"])})))

    refused = await registry_app.delete(f"/v1/communities/{community['id']}", headers=staff)

    assert refused.status_code == 403
    assert (await registry_app.get(f"/v1/communities/{community['id']}", headers=ADMIN)).status_code == 200
