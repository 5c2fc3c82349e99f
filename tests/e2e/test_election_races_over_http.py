"""Elections races between real processes: one counted ballot per enterprise, cast through the gateway.

The casts go over loopback HTTP to the gateway and the elections process of `tests/e2e/conftest.py`,
each on its own connection; the rows they leave are read straight from the database.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from elections.registry_client import feed_consumer
from tests.e2e.conftest import RunningPlatform
from tests.elections.conftest import Setup, open_election, rep_of
from tests.elections.registry_data import Enterprise, RegistryData
from tests.support.identities import auth
from tests.support.rows import rows

pytestmark = pytest.mark.e2e


async def _casts(
    platform: RunningPlatform, setup: Setup, calls: list[tuple[Enterprise, list[str]]]
) -> list[httpx.Response]:
    """Every cast on a client of its own (a connection of its own to the gateway), all at once."""

    async def one(enterprise: Enterprise, choices: list[str]) -> httpx.Response:
        async with platform.client(timeout=30) as client:
            return await client.post(
                f"/v1/elections/{setup.election_id}/ballots",
                json={"choices": choices},
                headers=platform.auth(rep_of(enterprise, setup.community_id)),
            )

    return list(await asyncio.gather(*(one(enterprise, choices) for enterprise, choices in calls)))


async def _ballots(setup: Setup) -> list[dict[str, Any]]:
    """Every ballot of round 1 and whether it is the current one, straight from the database."""
    return await rows(
        os.environ["TEST_DATABASE_URL"],
        """SELECT b.tracker, b.serial, c.ballot_id IS NOT NULL AS current
             FROM elections.ballot AS b LEFT JOIN elections.current_ballot AS c ON c.ballot_id = b.id
            WHERE b.election_id = $1 AND b.round_no = 1""",
        setup.election_id,
    )


@pytest.fixture
async def voting(platform: RunningPlatform) -> AsyncIterator[tuple[httpx.AsyncClient, Setup]]:
    """An election with a roll of three, voting open, built through the gateway."""
    async with platform.client(timeout=30) as client:
        registry = RegistryData(client, platform.auth)
        yield client, await open_election(client, registry, roll_size=3, sign=platform.auth)


async def test_concurrent_casts_by_one_representative_leave_one_current_ballot(
    platform: RunningPlatform, voting: tuple[httpx.AsyncClient, Setup]
) -> None:
    client, setup = voting
    voter = setup.roll[0]
    calls = [(voter, setup.candidates[n : n + 3]) for n in range(8)]
    answers = await _casts(platform, setup, calls)
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    stored = await _ballots(setup)
    assert sorted(b["tracker"] for b in stored) == sorted(a.json()["tracker"] for a in answers)
    assert [b["tracker"] for b in stored if b["current"]] == [max(stored, key=lambda b: b["serial"])["tracker"]]
    turnout = await client.get(f"/v1/elections/{setup.election_id}/turnout", headers=setup.staff)
    assert turnout.json()["ballots_cast"] == 1


@pytest.fixture
async def elections_consumer(platform: RunningPlatform, database_url: str) -> AsyncIterator[tuple[FastAPI, Any]]:
    """An elections app of our own whose feed consumer reads the registry process's feed (the e2e
    elections process runs without one, like every service under test)."""
    from elections.app import create_app
    from elections.settings import Settings

    settings = Settings(database_url=database_url, environment="test", internal_token_secret=platform.internal_secret)
    app = create_app(settings)
    async with LifespanManager(app):
        yield app, settings


async def test_two_representatives_of_one_enterprise_racing_a_change_leave_one_current_ballot(
    platform: RunningPlatform, voting: tuple[httpx.AsyncClient, Setup], elections_consumer: tuple[FastAPI, Any]
) -> None:
    """The old and the new representative cast at once while the change reaches the election: the
    enterprise still has one current ballot, its last accepted one, and no cast by the old one after
    a cast by the new one."""
    client, setup = voting
    old = setup.roll[1]
    assert (await _casts(platform, setup, [(old, setup.candidates[:1])]))[0].status_code == 201
    async with httpx.AsyncClient(base_url=platform.service_url("registry"), timeout=30) as registry_client:
        registry = RegistryData(registry_client, lambda who: auth(who, platform.internal_secret))
        new = await registry.replace_representative(old)
        await registry.wait_for_event("RepresentativeChanged", new, user_subject=new.representative_subject)
        app, settings = elections_consumer
        consumer = feed_consumer(app, registry_client, settings)

        async def change() -> None:
            await asyncio.sleep(0.05)
            while await consumer.poll_once():
                pass

        calls = [(old, setup.candidates[n : n + 2]) for n in range(6)] + [
            (new, setup.candidates[n : n + 1]) for n in range(6)
        ]
        answers, _ = await asyncio.gather(_casts(platform, setup, calls), change())
    assert {a.status_code for a in answers} <= {201, 403}, [a.text for a in answers]
    assert all(a.json()["code"] == "NOT_CURRENT_REPRESENTATIVE" for a in answers if a.status_code == 403)
    after = await _casts(platform, setup, [(old, []), (new, setup.candidates[:2])])
    assert [a.status_code for a in after] == [403, 201], [a.text for a in after]
    accepted = {
        a.json()["tracker"]: who
        for (who, _), a in zip([*calls, (old, []), (new, [])], [*answers, *after], strict=True)
        if a.status_code == 201
    }
    stored = {b["tracker"]: b for b in await _ballots(setup)}
    mine = [stored[tracker] for tracker in accepted]
    assert len(mine) == len(accepted) and sum(1 for b in mine if b["current"]) == 1
    assert max(mine, key=lambda b: b["serial"])["current"]
    # the voter lock orders the casts: every cast the old representative got accepted came first
    old_serials = [stored[t]["serial"] for t, who in accepted.items() if who is old]
    new_serials = [stored[t]["serial"] for t, who in accepted.items() if who is new]
    assert max(old_serials) < min(new_serials)
    closed = await client.post(
        f"/v1/elections/{setup.election_id}/transitions", json={"to": "voting_closed"}, headers=setup.staff
    )
    assert closed.status_code == 200, closed.text
    record = (await client.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    assert [b["tracker"] for b in record["ballots"] if b["counted"]] == [
        max(mine, key=lambda b: b["serial"])["tracker"]
    ]
