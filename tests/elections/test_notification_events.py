"""Election events for notifications: the roll by enterprise id, status changes with the title, and the
closing-soon reminder once per round to the enterprises that have not voted."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from elections.database import platform_tables
from elections.election.closing import notice_closing_soon
from elections.election.journal import fan_out
from elections.election.models import Election
from shared.auth import Role
from shared.uow import UnitOfWork, unit_of_work
from tests.elections.conftest import cast, open_election, step
from tests.elections.registry_data import RegistryData
from tests.support.identities import auth, identity


async def _feed(client: httpx.AsyncClient, event_type: str, count: int, wait_seconds: float = 20.0) -> list[Any]:
    """Events of one type from the elections feed, waiting until `count` have a feed position."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        feed = await client.get("/internal/events", params={"limit": 1000}, headers=auth(identity(Role.service)))
        found = [event for event in feed.json()["items"] if event["type"] == event_type]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def _notice(elections: httpx.AsyncClient, now: dt.datetime) -> int:
    async with unit_of_work(elections.fastapi_app) as uow:  # type: ignore[attr-defined]
        return await notice_closing_soon(uow, now)


async def test_the_frozen_roll_names_its_enterprises_and_voting_opens_with_the_title(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=9)
    (frozen,) = await _feed(elections, "ElectionRollFrozen", 1)
    assert sorted(frozen["payload"]["enterprise_ids"]) == sorted(str(e.enterprise_id) for e in setup.roll)
    assert (frozen["payload"]["part"], frozen["payload"]["parts"]) == (1, 1)
    assert frozen["payload"]["status"] == "roll_frozen"
    assert frozen["payload"]["community_id"] == str(setup.community_id)
    changes = await _feed(elections, "ElectionStatusChanged", 5)
    opened = next(event for event in changes if event["payload"]["status"] == "voting_open")
    assert opened["payload"]["title"] == "星光产业社区治理委员会选举"
    assert opened["payload"]["community_id"] == str(setup.community_id)
    assert opened["payload"]["round_no"] == 1


async def test_closing_soon_names_those_who_have_not_voted_once(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    closes_at = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=30)
    setup = await open_election(elections, registry, roll_size=9, closes_at=closes_at.isoformat())
    voted = setup.roll[:2]
    for enterprise in voted:
        assert (await cast(elections, setup, enterprise, setup.candidates[:7])).status_code == 201
    shown = await elections.get(f"/v1/elections/{setup.election_id}", headers=setup.staff)
    assert dt.datetime.fromisoformat(shown.json()["voting_closes_at"]) == closes_at

    assert await _notice(elections, closes_at - dt.timedelta(hours=25)) == 0
    day_before = closes_at - dt.timedelta(hours=23)
    assert sum(await asyncio.gather(*(_notice(elections, day_before) for _ in range(3)))) == 1
    assert await _notice(elections, closes_at - dt.timedelta(hours=1)) == 0

    (soon,) = await _feed(elections, "ElectionClosingSoon", 1)
    waiting = sorted(str(e.enterprise_id) for e in setup.roll[2:])
    assert sorted(soon["payload"]["enterprise_ids"]) == waiting
    assert dt.datetime.fromisoformat(soon["payload"]["voting_closes_at"]) == closes_at
    assert soon["payload"]["title"] == "星光产业社区治理委员会选举"


async def test_closes_at_goes_only_with_opening_a_round_and_in_the_future(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=9)
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)).isoformat()
    refused = await step(elections, setup, "voting_closed", closes_at=soon)
    assert refused.status_code == 422, refused.text
    assert [(e["pointer"], e["code"]) for e in refused.json()["errors"]] == [("/closes_at", "CLOSES_AT_NOT_ALLOWED")]
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    assert (await step(elections, setup, "voting_closed")).status_code == 200
    assert (await step(elections, setup, "tallied")).status_code == 200
    late = await step(elections, setup, "runoff_open", closes_at=past)
    assert late.status_code == 422, late.text
    assert late.json()["errors"][0]["code"] == "CLOSES_AT_PAST"


async def test_a_large_roll_is_split_into_parts_of_five_hundred(elections: httpx.AsyncClient) -> None:
    election = Election(
        id=uuid.uuid4(), community_id=uuid.uuid4(), title="大名册", status="roll_frozen", current_round=0
    )
    ids = [str(uuid.uuid4()) for _ in range(1201)]
    app = elections.fastapi_app  # type: ignore[attr-defined]
    async with app.state.sessionmaker() as session:  # rolled back: the events are only looked at
        await fan_out(UnitOfWork(session, app), election, "ElectionRollFrozen", ids)
        rows = (
            await session.execute(
                select(platform_tables.outbox_event.c.payload)
                .where(platform_tables.outbox_event.c.aggregate_id == election.id)
                .order_by(platform_tables.outbox_event.c.id)
            )
        ).scalars()
        parts = [(row["part"], row["parts"], len(row["enterprise_ids"])) for row in rows]
        await session.rollback()
    assert parts == [(1, 3, 500), (2, 3, 500), (3, 3, 201)]
