"""Elections fixtures: the service wired to the real registry app in-process, and election builders."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from elections.approve import signed_approval
from elections.registry_client import feed_consumer
from shared.auth import Identity, Role
from tests.elections.registry_data import Enterprise, RegistryData
from tests.support.identities import auth, identity, staff


@pytest.fixture(scope="session")
async def registry_service(database_url: str) -> AsyncIterator[FastAPI]:
    """The real registry app, in-process, with its lifespan running."""
    from registry.app import create_app
    from registry.settings import Settings

    app = create_app(Settings(database_url=database_url, environment="test"))
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def registry_client(registry_service: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=registry_service)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
        yield client


@pytest.fixture
def registry(registry_client: httpx.AsyncClient) -> RegistryData:
    """Builds this test's registry data through the registry's API (all tables are emptied after each test)."""
    return RegistryData(registry_client)


@pytest.fixture(scope="session")
async def elections(database_url: str, registry_service: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The elections app, its registry client reaching the real registry app through `httpx.ASGITransport`
    (its background feed consumer is off in tests: `poll_registry` drains the feed by hand)."""
    from elections.app import create_app
    from elections.settings import Settings

    app = create_app(
        Settings(database_url=database_url, environment="test", db_pool_size=40, db_max_overflow=80),
        registry_transport=httpx.ASGITransport(app=registry_service),
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://elections.test") as client:
            client.fastapi_app = app  # type: ignore[attr-defined]
            yield client


def rep_of(enterprise: Enterprise, community_id: uuid.UUID) -> Identity:
    """The enterprise's current representative, as the platform's issuer would describe them."""
    return Identity(
        subject=enterprise.representative_subject or "nobody",
        roles=frozenset({Role.enterprise_rep}),
        enterprise_id=enterprise.enterprise_id,
        community_ids=frozenset({community_id}),
    )


def observer(election_id: uuid.UUID) -> Identity:
    return identity(Role.election_observer, election_ids=[election_id])


async def approve(
    client: httpx.AsyncClient, election_id: uuid.UUID, result_hash: str, who: Identity | None = None
) -> httpx.Response:
    """An observer (a new one unless given) signs the result hash with a fresh key and posts the approval."""
    who = who or observer(election_id)
    body = signed_approval(Ed25519PrivateKey.generate(), str(election_id), who.subject, result_hash)
    return await client.post(f"/v1/elections/{election_id}/certifications", json=body, headers=auth(who))


@dataclass
class Setup:
    election_id: uuid.UUID
    community_id: uuid.UUID
    staff: dict[str, str]
    roll: list[Enterprise]
    candidates: list[str]  # candidate ids in ballot order


async def step(client: httpx.AsyncClient, setup: Setup, to: str, **extra: Any) -> httpx.Response:
    return await client.post(
        f"/v1/elections/{setup.election_id}/transitions", json={"to": to, **extra}, headers=setup.staff
    )


async def open_election(
    client: httpx.AsyncClient,
    registry: RegistryData,
    *,
    roll_size: int = 10,
    candidates: int = 8,
    rules: dict[str, Any] | None = None,
    sign: Callable[[Identity], dict[str, str]] = auth,
    closes_at: str | None = None,
) -> Setup:
    """Draft → nomination → review → publication → roll frozen → voting open, through the API
    (`sign`: the platform's JWTs when `client` talks to the gateway; `closes_at`: the announced close)."""
    community_id, roll = await registry.community(roll_size)
    staff_headers = sign(staff(community_id))
    created = await client.post(
        "/v1/elections",
        json={
            "community_id": str(community_id),
            "title": "星光产业社区治理委员会选举",
            "record_date": dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
            "rules": rules or {"seats": 7},
            "objection_window_hours": 0,
        },
        headers=staff_headers,
    )
    assert created.status_code == 201, created.text
    setup = Setup(uuid.UUID(created.json()["id"]), community_id, staff_headers, roll, [])
    assert (await step(client, setup, "nomination")).status_code == 200
    for n in range(candidates):
        nominator = roll[n % len(roll)]
        response = await client.post(
            f"/v1/elections/{setup.election_id}/candidates",
            json={"name": f"候选人{n:02d}", "kind": "single"},
            headers=sign(rep_of(nominator, community_id)),
        )
        assert response.status_code == 201, response.text
    assert (await step(client, setup, "candidate_review")).status_code == 200
    listed = (await client.get(f"/v1/elections/{setup.election_id}/candidates", headers=staff_headers)).json()
    for candidate in listed["items"]:
        reviewed = await client.post(
            f"/v1/elections/{setup.election_id}/candidates/{candidate['id']}/reviews",
            json={"decision": "approve", "reason": "符合条件"},
            headers=staff_headers,
        )
        assert reviewed.status_code == 200, reviewed.text
    for to in ("candidates_published", "roll_frozen", "voting_open"):
        extra = {"closes_at": closes_at} if to == "voting_open" and closes_at else {}
        response = await step(client, setup, to, **extra)
        assert response.status_code == 200, response.text
    listed = (await client.get(f"/v1/elections/{setup.election_id}/candidates", headers=staff_headers)).json()
    setup.candidates = [c["id"] for c in listed["items"] if c["status"] == "approved"]
    return setup


async def poll_registry(elections: httpx.AsyncClient, registry_service: FastAPI) -> None:
    """Let the elections app consume everything the real registry's feed shows now, as its consumer would."""
    from elections.settings import Settings

    app = elections.fastapi_app  # type: ignore[attr-defined]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=registry_service), base_url="http://registry.test"
    ) as client:
        consumer = feed_consumer(app, client, Settings(environment="test"))
        while await consumer.poll_once():
            pass


async def cast(client: httpx.AsyncClient, setup: Setup, enterprise: Enterprise, choices: list[str]) -> httpx.Response:
    return await client.post(
        f"/v1/elections/{setup.election_id}/ballots",
        json={"choices": choices},
        headers=auth(rep_of(enterprise, setup.community_id)),
    )


async def close_and_tally(client: httpx.AsyncClient, setup: Setup, closing: str = "voting_closed") -> dict[str, Any]:
    assert (await step(client, setup, closing)).status_code == 200
    tallied = await step(client, setup, "tallied")
    assert tallied.status_code == 200, tallied.text
    result = await client.get(f"/v1/elections/{setup.election_id}/result", headers=setup.staff)
    assert result.status_code == 200, result.text
    body: dict[str, Any] = result.json()
    return body
