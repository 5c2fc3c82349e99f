"""Writes on shared records are approved by the record's current owner, never by a target's staff;
the representative's login subject is shown only to those who need it; transfers never self-move."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from registry.buildings.models import MOVES_BETWEEN_COMMUNITIES_CHECK
from shared.auth import Role
from shared.dates import business_today
from tests.registry import factories
from tests.support.database import asyncpg_dsn
from tests.support.identities import admin, auth, employee, enterprise_rep, identity, staff

SUBJECT = "wx-rep-0001"


async def _rows(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def _two_communities(client: httpx.AsyncClient) -> tuple[dict[str, Any], ...]:
    """Community A with an enterprise at a building, community B with a building of its own."""
    a = await factories.community(client)
    b = await factories.community(client)
    a_building = await factories.building(client, a["id"])
    b_building = await factories.building(client, b["id"])
    enterprise = await factories.enterprise(
        client,
        a_building["id"],
        active_from="2020-01-01",
        representative={"name": "王五", "phone": "13900000009", "user_subject": SUBJECT},
    )
    return a, b, a_building, b_building, enterprise


async def test_staff_of_another_community_cannot_take_an_enterprise_over(
    registry_app: httpx.AsyncClient, database_url: str
) -> None:
    a, b, _, b_building, enterprise = await _two_communities(registry_app)
    thief = auth(staff(uuid.UUID(b["id"])))
    site = {"building_id": b_building["id"], "floor": "1", "unit": "101", "valid_from": "2024-01-01"}

    taken = await registry_app.post(f"/v1/enterprises/{enterprise['id']}/occupancies", json=site, headers=thief)
    assert taken.status_code == 403, taken.text
    assert taken.headers["content-type"].startswith("application/problem+json")
    rows = await _rows(
        database_url, "SELECT building_id FROM registry.occupancy WHERE enterprise_id = $1", uuid.UUID(enterprise["id"])
    )
    assert [str(row["building_id"]) for row in rows] != [] and b_building["id"] not in {
        str(row["building_id"]) for row in rows
    }
    events = await _rows(
        database_url,
        "SELECT 1 FROM registry.outbox_event WHERE type = 'OccupancyStarted' AND payload->>'building_id' = $1",
        b_building["id"],
    )
    assert events == []

    # Still not B's: no phone, no login subject, no PATCH, no PUT of the representative.
    seen = await registry_app.get(f"/v1/enterprises/{enterprise['id']}", headers=thief)
    assert seen.json()["representative"]["user_subject"] is None and SUBJECT not in seen.text
    etag = seen.headers["ETag"]
    patched = await registry_app.patch(
        f"/v1/enterprises/{enterprise['id']}", json={"name": "被占"}, headers={**thief, "If-Match": etag}
    )
    assert patched.status_code == 403
    put = await registry_app.put(
        f"/v1/enterprises/{enterprise['id']}/representative",
        json={"name": "冒名", "user_subject": "wx-thief"},
        headers={**thief, "If-Match": etag},
    )
    assert put.status_code == 403
    stored = await _rows(
        database_url,
        "SELECT name, representative_user_subject, version FROM registry.enterprise WHERE id = $1",
        uuid.UUID(enterprise["id"]),
    )
    assert [tuple(row) for row in stored] == [(enterprise["name"], SUBJECT, enterprise["version"])]


async def test_the_owning_community_or_an_admin_may_add_a_site_anywhere(registry_app: httpx.AsyncClient) -> None:
    a, b, _, b_building, enterprise = await _two_communities(registry_app)
    url = f"/v1/enterprises/{enterprise['id']}/occupancies"
    site = {"building_id": b_building["id"], "floor": "2", "unit": "201", "valid_from": "2024-01-01"}
    moved = await registry_app.post(url, json=site, headers=auth(staff(uuid.UUID(a["id"]))))
    assert moved.status_code == 201, moved.text
    other = await factories.building(registry_app, b["id"])
    by_admin = await registry_app.post(url, json={**site, "building_id": other["id"]}, headers=auth(admin()))
    assert by_admin.status_code == 201, by_admin.text
    # Now a site in B: B's staff share the record.
    seen = await registry_app.get(f"/v1/enterprises/{enterprise['id']}", headers=auth(staff(uuid.UUID(b["id"]))))
    assert seen.json()["representative"]["user_subject"] == SUBJECT


async def test_an_enterprise_with_no_current_site_is_placed_by_the_new_buildings_staff(
    registry_app: httpx.AsyncClient,
) -> None:
    a, b, a_building, b_building, enterprise = await _two_communities(registry_app)
    occupancy = await registry_app.get(f"/v1/enterprises/{enterprise['id']}/occupancies", headers=auth(admin()))
    site_id = occupancy.json()["items"][0]["id"]
    ended = await registry_app.post(
        f"/v1/enterprises/{enterprise['id']}/occupancies/{site_id}/end",
        json={"valid_to": "2023-01-01"},
        headers=auth(staff(uuid.UUID(a["id"]))),
    )
    assert ended.status_code == 200, ended.text
    site = {"building_id": b_building["id"], "floor": "3", "unit": "301", "valid_from": "2024-01-01"}
    placed = await registry_app.post(
        f"/v1/enterprises/{enterprise['id']}/occupancies", json=site, headers=auth(staff(uuid.UUID(b["id"])))
    )
    assert placed.status_code == 201, placed.text


async def test_a_future_site_makes_the_enterprise_that_communitys(registry_app: httpx.AsyncClient) -> None:
    """An enterprise whose only site starts later belongs to that site's community already."""
    a = await factories.community(registry_app)
    b = await factories.community(registry_app)
    a_building = await factories.building(registry_app, a["id"])
    b_building = await factories.building(registry_app, b["id"])
    later = (business_today().replace(year=business_today().year + 1)).isoformat()
    enterprise = await factories.enterprise(registry_app, a_building["id"], valid_from=later)
    site = {"building_id": b_building["id"], "floor": "1", "unit": "1", "valid_from": "2024-01-01"}
    refused = await registry_app.post(
        f"/v1/enterprises/{enterprise['id']}/occupancies", json=site, headers=auth(staff(uuid.UUID(b["id"])))
    )
    assert refused.status_code == 403


async def test_a_past_owner_of_the_building_cannot_end_todays_site(
    registry_app: httpx.AsyncClient, database_url: str
) -> None:
    old = await factories.community(registry_app)
    new = await factories.community(registry_app)
    building = await factories.building(registry_app, old["id"], valid_from="2020-01-01")
    enterprise = await factories.enterprise(registry_app, building["id"], valid_from="2021-01-01")
    moved = await registry_app.post(
        f"/v1/buildings/{building['id']}/transfers",
        json={"to_community_id": new["id"], "effective_on": "2023-01-01", "reason": "划转"},
        headers=auth(admin()),
    )
    assert moved.status_code == 201, moved.text
    site_id = (await registry_app.get(f"/v1/enterprises/{enterprise['id']}/occupancies", headers=auth(admin()))).json()[
        "items"
    ][0]["id"]
    url = f"/v1/enterprises/{enterprise['id']}/occupancies/{site_id}/end"

    # A valid_to in the old community's time used to let its staff end the site the new one holds.
    refused = await registry_app.post(url, json={"valid_to": "2022-06-01"}, headers=auth(staff(uuid.UUID(old["id"]))))
    assert refused.status_code == 403
    rows = await _rows(
        database_url, "SELECT upper_inf(during) AS open FROM registry.occupancy WHERE id = $1", uuid.UUID(site_id)
    )
    assert [row["open"] for row in rows] == [True]

    allowed = await registry_app.post(url, json={"valid_to": "2024-06-01"}, headers=auth(staff(uuid.UUID(new["id"]))))
    assert allowed.status_code == 200, allowed.text


async def test_enterprise_writes_follow_the_current_owner(registry_app: httpx.AsyncClient) -> None:
    a, b, _, _, enterprise = await _two_communities(registry_app)
    url = f"/v1/enterprises/{enterprise['id']}"
    for who, expected in ((staff(uuid.UUID(b["id"])), 403), (staff(uuid.UUID(a["id"])), 201)):
        figures = await registry_app.post(
            f"{url}/headcounts", json={"as_of": "2024-01-01", "employees": 10}, headers=auth(who)
        )
        assert figures.status_code == expected, figures.text
        status = await registry_app.post(
            f"{url}/status-changes", json={"status": "moved_out", "effective_on": "2024-02-01"}, headers=auth(who)
        )
        assert status.status_code == expected, status.text


async def test_the_representatives_subject_is_shown_only_to_those_who_need_it(registry_app: httpx.AsyncClient) -> None:
    a, b, _, _, enterprise = await _two_communities(registry_app)
    url = f"/v1/enterprises/{enterprise['id']}"
    enterprise_id = uuid.UUID(enterprise["id"])
    shown = (admin(), staff(uuid.UUID(a["id"])), enterprise_rep(enterprise_id))
    hidden = (
        staff(uuid.UUID(b["id"])),
        employee(enterprise_id),
        enterprise_rep(uuid.uuid4()),
        identity(Role.grid_worker),
        identity(Role.partner),
        identity(Role.election_observer),
    )
    for who in shown:
        body = (await registry_app.get(url, headers=auth(who))).json()
        assert body["representative"]["user_subject"] == SUBJECT, who.roles
        assert "/representative/user_subject" not in body["redacted"]
    for who in hidden:
        response = await registry_app.get(url, headers=auth(who))
        assert response.status_code == 200
        assert SUBJECT not in response.text and "13900000009" not in response.text, who.roles
        assert "/representative/user_subject" in response.json()["redacted"]


async def _transfer_later(client: httpx.AsyncClient, url: str, to: str, index: int) -> httpx.Response:
    """The `index`-th of a burst: it starts a little later and names a later first day, so some request
    reads the open period before an earlier one commits and closes it after (the self-move)."""
    await asyncio.sleep(index * 0.002)
    body = {"to_community_id": to, "effective_on": f"2024-{index + 1:02d}-01", "reason": "并发划转"}
    return await client.post(url, json=body, headers=auth(admin()))


async def test_two_concurrent_transfers_to_the_same_community_move_the_building_once(
    registry_app: httpx.AsyncClient, database_url: str
) -> None:
    source = await factories.community(registry_app)
    target = await factories.community(registry_app)
    for _ in range(10):  # several rounds, so the race is really run against the database
        building = await factories.building(registry_app, source["id"])
        url = f"/v1/buildings/{building['id']}/transfers"
        responses = await asyncio.gather(*(_transfer_later(registry_app, url, target["id"], i) for i in range(12)))
        codes = sorted(response.status_code for response in responses)
        assert codes[0] == 201 and set(codes[1:]) <= {409, 422}, [r.text for r in responses]

        building_id = uuid.UUID(building["id"])
        moves = await _rows(
            database_url,
            "SELECT from_community_id, community_id FROM registry.building_jurisdiction"
            " WHERE building_id = $1 AND from_community_id IS NOT NULL",
            building_id,
        )
        assert [tuple(map(str, row)) for row in moves] == [(source["id"], target["id"])]
        periods = await _rows(
            database_url, "SELECT community_id FROM registry.building_jurisdiction WHERE building_id = $1", building_id
        )
        assert len(periods) == 2, [tuple(map(str, row)) for row in periods]
        events = await _rows(
            database_url,
            "SELECT payload FROM registry.outbox_event WHERE type = 'BuildingTransferred' AND aggregate_id = $1",
            building_id,
        )
        assert len(events) == 1


async def test_the_database_refuses_a_move_to_the_same_community(
    registry_app: httpx.AsyncClient, database_url: str
) -> None:
    community = await factories.community(registry_app)
    building = await factories.building(registry_app, community["id"], valid_from="2020-01-01")
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        with pytest.raises(asyncpg.CheckViolationError) as raised:
            await connection.execute(
                "INSERT INTO registry.building_jurisdiction (id, building_id, community_id, from_community_id, during)"
                " VALUES (gen_random_uuid(), $1, $2, $2, daterange('2030-01-01', NULL))",
                uuid.UUID(building["id"]),
                uuid.UUID(community["id"]),
            )
        assert raised.value.constraint_name == MOVES_BETWEEN_COMMUNITIES_CHECK
    finally:
        await connection.close()
