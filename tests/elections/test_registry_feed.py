"""Against the real registry app (in process): the roll it reports, and its feed moving the right to cast."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from asgi_lifespan import LifespanManager

from elections.registry_client import feed_consumer
from shared.auth import Identity, Role
from tests.registry import factories
from tests.support.identities import admin, auth, staff

TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture(scope="module")
async def wired(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, Any, Any]]:
    """The registry app and an elections app whose registry client talks to it in process."""
    from elections.app import create_app as create_elections
    from elections.settings import Settings as ElectionsSettings
    from registry.app import create_app as create_registry
    from registry.settings import Settings as RegistrySettings

    registry_app = create_registry(RegistrySettings(database_url=database_url, environment="test"))
    async with LifespanManager(registry_app) as registry_manager:
        transport = httpx.ASGITransport(app=registry_manager.app)
        elections_app = create_elections(
            ElectionsSettings(database_url=database_url, environment="test"), registry_transport=transport
        )
        async with (
            LifespanManager(elections_app) as elections_manager,
            httpx.AsyncClient(transport=transport, base_url="http://registry.test") as registry,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=elections_manager.app), base_url="http://elections.test"
            ) as elections,
        ):
            yield registry, elections, elections_app, transport


def rep(enterprise: dict[str, Any], subject: str, community_id: uuid.UUID) -> Identity:
    return Identity(
        subject=subject,
        roles=frozenset({Role.enterprise_rep}),
        enterprise_id=uuid.UUID(enterprise["id"]),
        community_ids=frozenset({community_id}),
    )


async def test_the_registry_roll_and_its_events_govern_who_may_cast(
    wired: tuple[httpx.AsyncClient, httpx.AsyncClient, Any, Any],
) -> None:
    registry, elections, elections_app, transport = wired
    community = await factories.community(registry)
    community_id = uuid.UUID(community["id"])
    building = await factories.building(registry, community["id"])
    members: list[tuple[dict[str, Any], str]] = []
    for n in range(10):
        subject = f"rep-{uuid.uuid4().hex[:10]}"
        enterprise = await factories.enterprise(
            registry,
            building["id"],
            active_from="2021-01-01",
            representative={"name": f"代表{n}", "user_subject": subject},
        )
        members.append((enterprise, subject))
    staff_headers = auth(staff(community_id))
    created = await elections.post(
        "/v1/elections",
        json={
            "community_id": str(community_id),
            "title": "t",
            "record_date": TODAY.isoformat(),
            "objection_window_hours": 0,
        },
        headers=staff_headers,
    )
    election_id = created.json()["id"]

    async def go(to: str) -> None:
        moved = await elections.post(f"/v1/elections/{election_id}/transitions", json={"to": to}, headers=staff_headers)
        assert moved.status_code == 200, moved.text

    await go("nomination")
    for n in range(8):
        enterprise, subject = members[n]
        nominated = await elections.post(
            f"/v1/elections/{election_id}/candidates",
            json={"name": f"候选人{n}"},
            headers=auth(rep(enterprise, subject, community_id)),
        )
        assert nominated.status_code == 201, nominated.text
    await go("candidate_review")
    for candidate in (await elections.get(f"/v1/elections/{election_id}/candidates", headers=staff_headers)).json()[
        "items"
    ]:
        await elections.post(
            f"/v1/elections/{election_id}/candidates/{candidate['id']}/reviews",
            json={"decision": "approve", "reason": "ok"},
            headers=staff_headers,
        )
    for to in ("candidates_published", "roll_frozen", "voting_open"):
        await go(to)
    roll = (await elections.get(f"/v1/elections/{election_id}/roll", headers=staff_headers)).json()
    assert roll["size"] == 10
    assert {item["uscc"] for item in roll["items"]} == {e["uscc"] for e, _ in members}

    (replaced, old_subject), (leaving, leaving_subject) = members[0], members[1]
    etag = (await registry.get(f"/v1/enterprises/{replaced['id']}", headers=auth(admin()))).headers["etag"]
    new_subject = f"rep-new-{uuid.uuid4().hex[:8]}"
    changed = await registry.put(
        f"/v1/enterprises/{replaced['id']}/representative",
        json={"name": "新代表", "user_subject": new_subject},
        headers=auth(admin()) | {"If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    gone = await registry.post(
        f"/v1/enterprises/{leaving['id']}/status-changes",
        json={"status": "deregistered", "effective_on": TODAY.isoformat()},
        headers=auth(admin()),
    )
    assert gone.status_code == 201, gone.text

    from elections.settings import Settings

    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as feed_client:
        consumer = feed_consumer(elections_app, feed_client, Settings(environment="test"))
        deadline = asyncio.get_running_loop().time() + 20
        while True:  # the feed holds events back while older transactions on the server still run
            await consumer.poll_once(limit=1000)
            lost = await elections.post(
                f"/v1/elections/{election_id}/ballots",
                json={"choices": []},
                headers=auth(rep(leaving, leaving_subject, community_id)),
            )
            stale = await elections.post(
                f"/v1/elections/{election_id}/ballots",
                json={"choices": []},
                headers=auth(rep(replaced, old_subject, community_id)),
            )
            if lost.status_code == 403 and stale.status_code == 403:
                break
            assert asyncio.get_running_loop().time() < deadline, (lost.text, stale.text)
            await asyncio.sleep(0.2)
    assert lost.json()["code"] == "ENTITLEMENT_LOST"
    assert stale.json()["code"] == "NOT_CURRENT_REPRESENTATIVE"
    fresh = await elections.post(
        f"/v1/elections/{election_id}/ballots",
        json={"choices": []},
        headers=auth(rep(replaced, new_subject, community_id)),
    )
    assert fresh.status_code == 201, fresh.text
