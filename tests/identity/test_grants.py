"""Grants through the API: platform admins grant every role, community staff only grid workers of
their own communities' grids (the real grid service, over HTTP, says which community a grid is in);
anyone else is refused; one live grant per (account, role, scope) is the database's to decide."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from identity.app import create_app
from shared.auth import Role
from tests.grid.conftest import build_grid_app
from tests.grid.helpers import admin_headers, make_grid, make_worker
from tests.grid.registry_data import RegistryData
from tests.identity.conftest import identity_settings, served, signed_in
from tests.identity.grants_support import EN, person, sql


@dataclass
class World:
    identity: FastAPI
    client: httpx.AsyncClient
    grid: httpx.AsyncClient
    registry: RegistryData
    communities: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # grid -> its community

    async def grid_of(self, community: uuid.UUID) -> uuid.UUID:
        grid = uuid.UUID(str((await make_grid(self.grid, community, "一号网格"))["id"]))
        self.communities[grid] = community
        return grid

    async def on_duty(self, grid: uuid.UUID, account_id: uuid.UUID) -> None:
        """The grid service's roster: the account's worker on duty in the grid (a grant follows it)."""
        worker = await make_worker(self.grid, self.communities[grid], subject=str(account_id))
        duty = await self.grid.post(
            f"/v1/grids/{grid}/duties",
            json={"worker_id": worker["id"], "valid_from": "2024-01-01"},
            headers=admin_headers(),
        )
        assert duty.status_code == 201, duty.text


@pytest.fixture(scope="module")
async def world(database_url: str) -> AsyncIterator[World]:
    """Registry and grid apps (the grid served on a loopback port), and an identity app that asks it."""
    from registry.app import create_app as registry_app
    from registry.settings import Settings as RegistrySettings

    registry = registry_app(RegistrySettings(database_url=database_url, environment="test"))
    async with LifespanManager(registry):
        grid = build_grid_app(database_url, httpx.ASGITransport(app=registry))
        async with served(grid) as grid_url:
            identity = create_app(identity_settings(database_url, grid_url=grid_url))
            async with (
                LifespanManager(identity),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=identity), base_url="http://identity.test") as c,
                httpx.AsyncClient(base_url=grid_url) as g,
                httpx.AsyncClient(transport=httpx.ASGITransport(app=registry), base_url="http://registry.test") as r,
            ):
                yield World(identity, c, g, RegistryData(r))


def admin() -> dict[str, str]:
    return person(uuid.uuid4(), Role.platform_admin)


def staff_of(*communities: uuid.UUID) -> dict[str, str]:
    return person(uuid.uuid4(), Role.community_staff, community_ids=list(communities))


async def _grant(world: World, account_id: uuid.UUID, headers: dict[str, str], **body: Any) -> httpx.Response:
    payload = {key: str(value) if isinstance(value, uuid.UUID) else value for key, value in body.items()}
    return await world.client.post(f"/v1/accounts/{account_id}/grants", json=payload, headers=headers)


async def test_a_platform_admin_grants_every_role_and_the_next_token_carries_them(world: World) -> None:
    who = await signed_in(world.identity)
    community, enterprise, election = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    grid = await world.grid_of(await world.registry.community("GA"))
    await world.on_duty(grid, who.account_id)
    bodies: list[dict[str, Any]] = [
        {"role": "community_staff", "community_id": community},
        {"role": "grid_worker", "grid_id": grid},
        {"role": "election_observer", "election_id": election},
        {"role": "platform_admin"},
        {"role": "employee", "enterprise_id": enterprise},
        {"role": "enterprise_rep", "enterprise_id": enterprise},
    ]
    by = admin()
    for body in bodies:
        answer = await _grant(world, who.account_id, by, **body)
        assert answer.status_code == 201, answer.text
        assert answer.json()["role"] == body["role"] and answer.json()["source"] == "api"
    refreshed = await world.client.post("/v1/auth/token", json={"refresh_token": who.pair.refresh_token})
    claims = jwt.decode(refreshed.json()["access_token"], options={"verify_signature": False})
    assert set(claims["roles"]) == {"account", *(body["role"] for body in bodies)}
    assert claims["grid_ids"] == [str(grid)] and claims["community_ids"] == [str(community)]
    assert claims["election_ids"] == [str(election)] and claims["enterprise_id"] == str(enterprise)
    audited = await sql(
        world_url(world), "SELECT actor, detail FROM identity.audit_record WHERE action = 'role_granted'"
    )
    assert len(audited) == 6
    # each grant is on identity's feed for the notifications service, named by subject, no personal data
    events = await sql(
        world_url(world), "SELECT payload FROM identity.outbox_event WHERE type = 'RoleGranted' ORDER BY id"
    )
    payloads = [json.loads(event["payload"]) for event in events]
    assert [payload["role"] for payload in payloads] == [body["role"] for body in bodies]
    assert {payload["subject"] for payload in payloads} == {str(who.account_id)}
    assert all(set(payload) >= {"role_zh", "source", "community_id"} for payload in payloads)


def world_url(world: World) -> str:
    return str(world.identity.state.settings.database_url)


async def test_community_staff_grant_only_grid_workers_of_their_own_communities_grids(world: World) -> None:
    mine, theirs = await world.registry.community("GB"), await world.registry.community("GC")
    my_grid, their_grid = await world.grid_of(mine), await world.grid_of(theirs)
    who = await signed_in(world.identity)
    off_roster = await _grant(world, who.account_id, staff_of(mine), role="grid_worker", grid_id=my_grid)
    assert off_roster.status_code == 409 and off_roster.json()["code"] == "GRID_DUTY_MISSING"
    await world.on_duty(my_grid, who.account_id)
    granted = await _grant(world, who.account_id, staff_of(mine), role="grid_worker", grid_id=my_grid)
    assert granted.status_code == 201, granted.text
    assert granted.json()["grid_id"] == str(my_grid)
    for body in (
        {"role": "grid_worker", "grid_id": their_grid},
        {"role": "community_staff", "community_id": mine},
        {"role": "employee", "enterprise_id": uuid.uuid4()},
        {"role": "platform_admin"},
    ):
        refused = await _grant(world, who.account_id, staff_of(mine), **body)
        assert refused.status_code == 403 and refused.json()["code"] == "GRANT_NOT_ALLOWED", body
    unknown = await _grant(world, who.account_id, staff_of(mine), role="grid_worker", grid_id=uuid.uuid4())
    assert unknown.status_code == 404 and unknown.json()["code"] == "GRID_NOT_FOUND"


@pytest.mark.parametrize(
    "role", [Role.account, Role.grid_worker, Role.enterprise_rep, Role.employee, Role.election_observer]
)
async def test_anyone_else_may_neither_grant_nor_revoke(world: World, role: Role) -> None:
    community = await world.registry.community(f"N{list(Role).index(role)}")
    grid = await world.grid_of(community)
    target = await signed_in(world.identity, (Role.grid_worker, {"grid_id": grid}))
    [grant] = (await world.client.get(f"/v1/accounts/{target.account_id}", headers=admin())).json()["grants"]
    headers = person(
        uuid.uuid4(),
        *([] if role is Role.account else [role]),
        community_ids=[community],
        grid_ids=[grid],
        enterprise_id=uuid.uuid4(),
        election_ids=[uuid.uuid4()],
    )
    for body in ({"role": "grid_worker", "grid_id": grid}, {"role": "employee", "enterprise_id": uuid.uuid4()}):
        refused = await _grant(world, target.account_id, headers, **body)
        assert refused.status_code == 403 and refused.json()["code"] == "GRANT_NOT_ALLOWED", refused.text
    revoke = await world.client.delete(f"/v1/accounts/{target.account_id}/grants/{grant['id']}", headers=headers)
    assert revoke.status_code == 403 and revoke.json()["code"] == "GRANT_NOT_ALLOWED"
    for outsider in (Role.partner, Role.service):
        headers = EN | person(uuid.uuid4(), outsider)
        assert (await _grant(world, target.account_id, headers, role="platform_admin")).status_code == 403


async def test_a_role_held_in_that_scope_is_a_conflict_even_when_granted_twice_at_once(world: World) -> None:
    community = uuid.uuid4()
    who = await signed_in(world.identity, (Role.community_staff, {"community_id": community}))
    again = await _grant(world, who.account_id, admin(), role="community_staff", community_id=community)
    assert again.status_code == 409 and again.json()["code"] == "GRANT_EXISTS"
    # another scope is another grant
    other = await _grant(world, who.account_id, admin(), role="community_staff", community_id=uuid.uuid4())
    assert other.status_code == 201
    for _ in range(5):
        who = await signed_in(world.identity)
        election = uuid.uuid4()
        answers = await asyncio.gather(
            *(_grant(world, who.account_id, admin(), role="election_observer", election_id=election) for _ in range(2))
        )
        assert sorted(answer.status_code for answer in answers) == [201, 409], [a.text for a in answers]
        assert {answer.json().get("code") for answer in answers if answer.status_code == 409} == {"GRANT_EXISTS"}


async def test_revoking_ends_the_grant_once_and_new_tokens_lack_the_role(world: World) -> None:
    enterprise = uuid.uuid4()
    who = await signed_in(world.identity, (Role.employee, {"enterprise_id": enterprise}))
    other = await signed_in(world.identity, (Role.employee, {"enterprise_id": enterprise}))
    [grant] = (await world.client.get(f"/v1/accounts/{who.account_id}", headers=admin())).json()["grants"]
    path = f"/v1/accounts/{who.account_id}/grants/{grant['id']}"
    foreign = await world.client.delete(f"/v1/accounts/{other.account_id}/grants/{grant['id']}", headers=admin())
    assert foreign.status_code == 404 and foreign.json()["code"] == "GRANT_NOT_FOUND"
    revoker = uuid.uuid4()
    by = person(revoker, Role.platform_admin)
    assert (await world.client.delete(path, headers=by)).status_code == 204
    again = await world.client.delete(path, headers=by)
    assert again.status_code == 404 and again.json()["code"] == "GRANT_NOT_FOUND"
    [row] = await sql(
        world_url(world),
        "SELECT revoked_at, revoked_by FROM identity.role_grant WHERE id = $1",
        uuid.UUID(grant["id"]),
    )
    assert row["revoked_at"] is not None and row["revoked_by"] == str(revoker)
    refreshed = await world.client.post("/v1/auth/token", json={"refresh_token": who.pair.refresh_token})
    claims = jwt.decode(refreshed.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["account"] and claims.get("enterprise_id") is None
    audits = await sql(
        world_url(world),
        "SELECT actor, detail FROM identity.audit_record WHERE action = 'role_revoked' AND account_id = $1",
        who.account_id,
    )
    assert [(audit["actor"], audit["detail"]) for audit in audits] == [
        (str(revoker), f'{{"role": "employee", "source": "api", "grant_id": "{grant["id"]}"}}')
    ]
    # revoked grants are kept; the role may be granted anew
    regranted = await _grant(world, who.account_id, admin(), role="employee", enterprise_id=enterprise)
    assert regranted.status_code == 201


async def test_community_staff_revoke_only_their_own_grids_workers(world: World) -> None:
    mine, theirs = await world.registry.community("GD"), await world.registry.community("GE")
    my_grid, their_grid = await world.grid_of(mine), await world.grid_of(theirs)
    who = await signed_in(
        world.identity, (Role.grid_worker, {"grid_id": my_grid}), (Role.grid_worker, {"grid_id": their_grid})
    )
    grants = {
        g["grid_id"]: g["id"]
        for g in (await world.client.get(f"/v1/accounts/{who.account_id}", headers=admin())).json()["grants"]
    }
    refused = await world.client.delete(
        f"/v1/accounts/{who.account_id}/grants/{grants[str(their_grid)]}", headers=staff_of(mine)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "GRANT_NOT_ALLOWED"
    ok = await world.client.delete(
        f"/v1/accounts/{who.account_id}/grants/{grants[str(my_grid)]}", headers=staff_of(mine)
    )
    assert ok.status_code == 204


async def test_scope_must_match_the_role_and_the_account_must_exist(world: World) -> None:
    who = await signed_in(world.identity)
    for body in (
        {"role": "community_staff"},
        {"role": "platform_admin", "community_id": str(uuid.uuid4())},
        {"role": "employee", "enterprise_id": str(uuid.uuid4()), "grid_id": str(uuid.uuid4())},
        {"role": "service"},
        {"role": "platform_admin", "extra": 1},
    ):
        answer = await _grant(world, who.account_id, admin(), **body)
        assert answer.status_code == 422, body
    missing = await _grant(world, uuid.uuid4(), admin(), role="platform_admin")
    assert missing.status_code == 404 and missing.json()["code"] == "ACCOUNT_NOT_FOUND"


async def test_admins_find_an_account_by_phone(world: World) -> None:
    who = await signed_in(world.identity, phone="+8613900139000")
    found = await world.client.get("/v1/accounts", params={"phone": "139 0013 9000"}, headers=admin())
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["items"]] == [str(who.account_id)]
    assert "13900139000" not in found.text  # the number itself is never returned
    none = await world.client.get("/v1/accounts", params={"phone": "13700137000"}, headers=admin())
    assert none.json() == {"items": []}
    assert (await world.client.get("/v1/accounts", params={"phone": "12345"}, headers=admin())).status_code == 422
    staff = await world.client.get("/v1/accounts", params={"phone": "13900139000"}, headers=staff_of(uuid.uuid4()))
    assert staff.status_code == 403


async def test_the_grid_service_unreachable_is_a_503(database_url: str) -> None:
    app = create_app(identity_settings(database_url, grid_url="http://127.0.0.1:9"))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as c,
    ):
        who = await signed_in(app)
        body = {"role": "grid_worker", "grid_id": str(uuid.uuid4())}
        answer = await c.post(f"/v1/accounts/{who.account_id}/grants", json=body, headers=staff_of(uuid.uuid4()))
        assert answer.status_code == 503 and answer.json()["code"] == "GRID_SERVICE_UNAVAILABLE"


async def test_an_admin_revokes_a_grid_workers_grant_while_the_grid_service_is_down(database_url: str) -> None:
    app = create_app(identity_settings(database_url, grid_url="http://127.0.0.1:9"))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as c,
    ):
        who = await signed_in(app, (Role.grid_worker, {"grid_id": uuid.uuid4()}))
        [grant] = (await c.get(f"/v1/accounts/{who.account_id}", headers=admin())).json()["grants"]
        revoked = await c.delete(f"/v1/accounts/{who.account_id}/grants/{grant['id']}", headers=admin())
        assert revoked.status_code == 204, revoked.text
        by_staff = await signed_in(app, (Role.grid_worker, {"grid_id": uuid.uuid4()}))
        [other] = (await c.get(f"/v1/accounts/{by_staff.account_id}", headers=admin())).json()["grants"]
        path = f"/v1/accounts/{by_staff.account_id}/grants/{other['id']}"
        refused = await c.delete(path, headers=staff_of(uuid.uuid4()))
        assert refused.status_code == 503 and refused.json()["code"] == "GRID_SERVICE_UNAVAILABLE"
