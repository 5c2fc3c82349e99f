"""Builders for the deliberation tests: a committee formed from an election certified through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from shared.auth import Identity, Role
from tests.elections.conftest import Setup, approve, cast, close_and_tally, open_election, rep_of, step
from tests.elections.registry_data import Enterprise, RegistryData
from tests.support.identities import auth, identity


@dataclass
class Formed:
    setup: Setup
    committee: dict[str, Any]
    members: dict[int, Identity]  # seat -> the representative who sits
    outsiders: list[Enterprise]  # enterprises of the community without a seat

    @property
    def id(self) -> str:
        return str(self.committee["id"])

    @property
    def community_id(self) -> uuid.UUID:
        return self.setup.community_id

    def rep(self, enterprise: Enterprise) -> dict[str, str]:
        return auth(rep_of(enterprise, self.community_id))

    def employee(self, enterprise: Enterprise) -> dict[str, str]:
        return auth(identity(Role.employee, enterprise_id=enterprise.enterprise_id, community_ids=[self.community_id]))


async def certified(client: httpx.AsyncClient, registry: RegistryData, roll_size: int = 10) -> Setup:
    """A 7-seat election voted by every enterprise for the first seven candidates, tallied and certified."""
    setup = await open_election(client, registry, roll_size=roll_size, candidates=8)
    for enterprise in setup.roll:
        assert (await cast(client, setup, enterprise, setup.candidates[:7])).status_code == 201
    result = await close_and_tally(client, setup)
    for _ in range(3):
        assert (await approve(client, setup.election_id, result["result_hash"])).status_code == 200
    response = await step(client, setup, "certified")
    assert response.status_code == 200, response.text
    return setup


async def form(client: httpx.AsyncClient, registry: RegistryData, **settings: Any) -> Formed:
    setup = await certified(client, registry)
    response = await client.post(
        "/v1/committees", json={"election_id": str(setup.election_id), **settings}, headers=setup.staff
    )
    assert response.status_code == 201, response.text
    committee = response.json()
    by_id = {e.enterprise_id: e for e in setup.roll}
    members = {
        m["seat_no"]: rep_of(by_id[uuid.UUID(m["enterprise_id"])], setup.community_id) for m in committee["members"]
    }
    seated = {uuid.UUID(m["enterprise_id"]) for m in committee["members"]}
    return Formed(setup, committee, members, [e for e in setup.roll if e.enterprise_id not in seated])
