"""`make run`'s demo tells the article's story, and loading it twice changes nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

from elections.verify import verify_record
from service_requests.requests.workflow import Status
from shared.demo import IOT_ID, XINGGUANG_ID
from tests.support.database import asyncpg_dsn
from tests.support.identities import admin, auth
from tools.run import registry_app_for

# What the demo holds, grouped the way a reader of the article would count it.
COUNTS = {
    "requests": "SELECT status, count(*), count(rating), count(follow_up_rating), count(return_visited_at)"
    " FROM requests.service_request GROUP BY status",
    "service types": "SELECT scenario, count(*) FROM requests.service_type GROUP BY scenario",
    "activities": "SELECT a.title, a.capacity, a.enrolled_count, count(e.id) FILTER (WHERE e.status = 'enrolled'),"
    " count(e.id) FILTER (WHERE e.status = 'waitlisted') FROM requests.activity a"
    " LEFT JOIN requests.enrollment e ON e.activity_id = a.id GROUP BY a.id",
    "elections": "SELECT community_id, title, status, roll_size FROM elections.election",
    "log entries": "SELECT count(*) FROM elections.log_entry",
    "committees": "SELECT c.community_id, c.status, c.seats, count(m.seat_no) FROM elections.committee c"
    " JOIN elections.committee_member m ON m.committee_id = c.id GROUP BY c.id",
    "hazards": "SELECT status, level, count(*) FROM grid.hazard GROUP BY status, level",
    "grid events": "SELECT status, count(*) FROM grid.grid_event GROUP BY status",
    "enterprises": "SELECT count(*) FROM registry.enterprise",
    "policies": "SELECT p.title, p.community_id IS NULL, count(m.enterprise_id) FROM registry.policy p"
    " LEFT JOIN registry.policy_match m ON m.policy_id = p.id GROUP BY p.id",
    "brands": "SELECT community_id, names->'enterprise_service'->>'zh' FROM requests.community_brands",
}


async def _snapshot(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return {name: sorted(tuple(row) for row in await connection.fetch(query)) for name, query in COUNTS.items()}
    finally:
        await connection.close()


async def _seed_all(database_url: str) -> None:
    """The seeds `make run` runs, in its order (tools/run.py SEED_MODULES)."""
    from elections.seed import seed as seed_elections
    from grid.seed import seed as seed_grid
    from registry.seed import seed as seed_registry
    from service_requests.seed import seed as seed_requests

    await seed_registry(database_url)
    await seed_requests(database_url)
    await seed_elections(database_url, registry_app_for)
    await seed_grid(database_url)


async def test_the_demo_tells_the_story_and_loads_twice_to_the_same_data(database_url: str) -> None:
    await _seed_all(database_url)
    first = await _snapshot(database_url)
    await _seed_all(database_url)
    assert await _snapshot(database_url) == first

    requests = {row[0]: row[1:] for row in first["requests"]}
    assert set(requests) == {status.value for status in Status}  # every state of the workflow
    assert sum(ratings for _, ratings, _, _ in requests.values()) >= 4
    assert requests["reopened"][1:] == (1, 0, 0)  # rated 1: the return visit is owed
    assert requests["closed"][2:] == (1, 1)  # one closed after the return visit and a follow-up rating
    assert len(first["service types"]) == 4 and sum(row[1] for row in first["service types"]) == 7
    activities = {row[0]: row[1:] for row in first["activities"]}
    assert activities["直播电商技能培训"] == (6, 6, 6, 2)  # full, two still waiting
    assert all(enrolled == seats for _, seats, enrolled, _ in activities.values())
    elections = {status: (community, size) for community, _, status, size in first["elections"]}
    assert set(elections) == {"certified", "voting_open"}
    assert elections["certified"][0] == elections["voting_open"][0] == IOT_ID
    (committee,) = first["committees"]  # formed from the certified election, every seat filled
    assert committee[:2] == (IOT_ID, "active") and committee[2] == committee[3]
    assert {row[0] for row in first["hazards"]} == {"reported", "rectifying", "rectified", "verified"}
    assert {row[0] for row in first["grid events"]} >= {"reported", "dispatched", "handling", "closed", "declined"}
    policies = {title: (district, matched) for title, district, matched in first["policies"]}
    assert sorted(district for district, _ in policies.values()) == [False, True]  # one district-wide, one Xingguang's
    assert all(matched > 0 for _, matched in policies.values())  # each was offered to enterprises
    assert first["brands"] == [(XINGGUANG_ID, "星悦企")]


async def test_the_certified_demo_election_verifies_and_has_its_certificate(database_url: str) -> None:
    from elections.app import create_app
    from elections.settings import Settings

    await _seed_all(database_url)
    app = create_app(Settings(database_url=database_url, environment="test"))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://e") as client,
    ):
        listed = (await client.get(f"/v1/elections?community_id={IOT_ID}", headers=auth(admin()))).json()["items"]
        [certified] = [item for item in listed if item["status"] == "certified"]
        record = (await client.get(f"/v1/elections/{certified['id']}/record", headers=auth(admin()))).json()
        assert verify_record(record) == []
        assert sum(1 for entry in record["log"] if entry["type"] == "observer_approved") == 3
        pdf = await client.get(f"/v1/elections/{certified['id']}/certificate", headers=auth(admin()))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        [open_one] = [item for item in listed if item["status"] == "voting_open"]
        turnout = (await client.get(f"/v1/elections/{open_one['id']}/turnout", headers=auth(admin()))).json()
        assert turnout["ballots_cast"] == 7
    assert XINGGUANG_ID != IOT_ID
