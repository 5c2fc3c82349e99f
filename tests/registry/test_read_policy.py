"""The registry rows of docs/security.md's read policy, with callers of every role and community."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from shared.auth import Role
from tests.registry import factories
from tests.support.identities import admin, auth, employee, enterprise_rep, identity, staff

PARTNER = identity(Role.partner, partner_id=uuid.uuid4(), partner_kind="bank")


def everyone_elsewhere() -> tuple[Any, ...]:
    """A caller of each role with scopes that do not cover the records under test."""
    return (
        staff(uuid.uuid4()),
        identity(Role.grid_worker, grid_ids=[uuid.uuid4()]),
        enterprise_rep(uuid.uuid4()),
        employee(uuid.uuid4()),
        PARTNER,
        identity(Role.election_observer, election_ids=[uuid.uuid4()]),
        identity(Role.service),
    )


async def _world(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    community = await factories.community(client)
    building = await factories.building(client, community["id"])
    enterprise = await factories.enterprise(
        client, building["id"], representative={"name": "王五", "phone": "13900000009", "user_subject": "wx-r"}
    )
    return community, building, enterprise


async def test_communities_and_their_buildings_are_public_to_signed_in_callers(registry_app: httpx.AsyncClient) -> None:
    community, _, _ = await _world(registry_app)
    for who in everyone_elsewhere():
        for path in ("", "/buildings", "/stats"):
            response = await registry_app.get(f"/v1/communities/{community['id']}{path}", headers=auth(who))
            assert response.status_code == 200, (who.roles, path, response.text)
    assert (await registry_app.get(f"/v1/communities/{community['id']}")).status_code == 401


async def test_buildings_and_their_history_are_public_to_signed_in_callers(registry_app: httpx.AsyncClient) -> None:
    _, building, _ = await _world(registry_app)
    for who in everyone_elsewhere():
        for path in ("", "/jurisdiction"):
            response = await registry_app.get(f"/v1/buildings/{building['id']}{path}", headers=auth(who))
            assert response.status_code == 200, (who.roles, path)
    assert (await registry_app.get(f"/v1/buildings/{building['id']}")).status_code == 401


async def test_the_roll_and_community_headcounts_are_for_services_and_admins(registry_app: httpx.AsyncClient) -> None:
    community, _, _ = await _world(registry_app)
    for path in ("/roll", "/headcounts"):
        url = f"/internal/communities/{community['id']}{path}"
        for who in (admin(), identity(Role.service)):
            assert (await registry_app.get(url, headers=auth(who))).status_code == 200, (who.roles, path)
        for who in (staff(uuid.UUID(community["id"])), *everyone_elsewhere()[1:-1]):
            assert (await registry_app.get(url, headers=auth(who))).status_code == 403, (who.roles, path)


async def test_an_enterprises_public_fields_are_public_to_signed_in_callers(registry_app: httpx.AsyncClient) -> None:
    _, _, enterprise = await _world(registry_app)
    url = f"/v1/enterprises/{enterprise['id']}"
    for who in everyone_elsewhere():
        for path in ("", "/status-history", "/occupancies", "/headcounts"):
            assert (await registry_app.get(f"{url}{path}", headers=auth(who))).status_code == 200, (who.roles, path)
        found = await registry_app.get("/v1/enterprises", params={"uscc": enterprise["uscc"]}, headers=auth(who))
        assert [item["id"] for item in found.json()["items"]] == [enterprise["id"]]
    assert (await registry_app.get(url)).status_code == 401


async def test_phones_and_the_reps_subject_are_the_communitys(registry_app: httpx.AsyncClient) -> None:
    community, _, enterprise = await _world(registry_app)
    url = f"/v1/enterprises/{enterprise['id']}"
    for who in (admin(), staff(uuid.UUID(community["id"]))):
        body = (await registry_app.get(url, headers=auth(who))).json()
        assert body["contact_phone"] and body["representative"]["phone"] and body["representative"]["user_subject"]
    own_rep = (await registry_app.get(url, headers=auth(enterprise_rep(uuid.UUID(enterprise["id"]))))).json()
    assert own_rep["representative"]["user_subject"] == "wx-r" and own_rep["representative"]["phone"] is None
    for who in (*everyone_elsewhere(), employee(uuid.UUID(enterprise["id"]))):
        response = await registry_app.get(url, headers=auth(who))
        assert "13900000009" not in response.text and "wx-r" not in response.text, who.roles
