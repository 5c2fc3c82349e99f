"""Effective-dated jurisdiction: the Xingguang story, transfers, races and atomic batches."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from registry.buildings.geo import wgs84_to_gcj02
from registry.buildings.models import NO_OVERLAP
from registry.seed import (
    IOT_ID,
    XINGGUANG_COMPLEX_ID,
    XINGGUANG_ID,
    XINGGUANG_TOWER_IDS,
    ZHONGXING_GARDEN_ID,
    ZHONGXING_ID,
)
from shared.dates import business_today
from tests.registry import factories
from tests.support.database import asyncpg_dsn
from tests.support.identities import admin, auth, staff


async def _building_ids(client: httpx.AsyncClient, community_id: object, as_of: str) -> set[str]:
    ids: set[str] = set()
    url = f"/v1/communities/{community_id}/buildings?as_of={as_of}&limit=7"
    while True:
        response = await client.get(url, headers=auth(admin()))
        assert response.status_code == 200, response.text
        ids.update(item["id"] for item in response.json()["items"])
        cursor = response.json().get("next_cursor")
        if cursor is None:
            return ids
        url = f"/v1/communities/{community_id}/buildings?as_of={as_of}&limit=7&cursor={cursor}"


async def test_the_thirty_towers_moved_to_xingguang_on_2023_05_12(registry_app: httpx.AsyncClient, demo: None) -> None:
    moved = {str(building_id) for building_id in (*XINGGUANG_TOWER_IDS, XINGGUANG_COMPLEX_ID)}
    assert len(moved) == 31

    before = await _building_ids(registry_app, ZHONGXING_ID, "2023-05-11")
    assert moved <= before
    assert str(ZHONGXING_GARDEN_ID) in before

    after = await _building_ids(registry_app, ZHONGXING_ID, "2023-05-12")
    assert after == {str(ZHONGXING_GARDEN_ID)}
    assert await _building_ids(registry_app, XINGGUANG_ID, "2023-05-12") == moved
    assert await _building_ids(registry_app, XINGGUANG_ID, "2023-05-11") == set()


async def test_two_concurrent_overlapping_transfers_one_wins_one_gets_409(registry_app: httpx.AsyncClient) -> None:
    source = await factories.community(registry_app)
    first_target = await factories.community(registry_app)
    second_target = await factories.community(registry_app)
    for _ in range(5):  # several rounds, so the race is really run against the database
        building = await factories.building(registry_app, source["id"])
        responses = await asyncio.gather(
            *(
                registry_app.post(
                    f"/v1/buildings/{building['id']}/transfers",
                    json={"to_community_id": target["id"], "effective_on": effective_on, "reason": "并发划转"},
                    headers=auth(admin()),
                )
                # Same first day: whichever commits second would overlap the winner's period.
                for target, effective_on in ((first_target, "2024-01-01"), (second_target, "2024-01-01"))
            )
        )
        assert sorted(response.status_code for response in responses) == [201, 409], [r.text for r in responses]
        refused = next(response for response in responses if response.status_code == 409)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["status"] == 409 and refused.json()["code"]

        history = (await registry_app.get(f"/v1/buildings/{building['id']}/jurisdiction", headers=auth(admin()))).json()
        periods = history["items"]
        assert len(periods) == 2
        assert periods[0]["valid_to"] == periods[1]["valid_from"]  # contiguous, never overlapping
        assert periods[1]["valid_to"] is None


async def test_the_database_refuses_overlapping_periods(registry_app: httpx.AsyncClient, database_url: str) -> None:
    source = await factories.community(registry_app)
    target = await factories.community(registry_app)
    building = await factories.building(registry_app, source["id"], valid_from="2020-01-01")
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        with pytest.raises(asyncpg.ExclusionViolationError) as raised:
            await connection.execute(
                "INSERT INTO registry.building_jurisdiction (id, building_id, community_id, during) "
                "VALUES (gen_random_uuid(), $1, $2, daterange('2023-01-01', NULL))",
                uuid.UUID(building["id"]),
                uuid.UUID(target["id"]),
            )
        assert raised.value.constraint_name == NO_OVERLAP
    finally:
        await connection.close()


async def test_a_transfer_cannot_rewrite_history(registry_app: httpx.AsyncClient) -> None:
    source = await factories.community(registry_app)
    target = await factories.community(registry_app)
    building = await factories.building(registry_app, source["id"], valid_from="2022-01-01")

    earlier = await registry_app.post(
        f"/v1/buildings/{building['id']}/transfers",
        json={"to_community_id": target["id"], "effective_on": "2021-06-01", "reason": "补录"},
        headers=auth(admin()),
    )
    assert earlier.status_code == 409
    assert earlier.json()["code"] == "JURISDICTION_CONFLICT"

    to_itself = await registry_app.post(
        f"/v1/buildings/{building['id']}/transfers",
        json={"to_community_id": source["id"], "effective_on": "2024-06-01", "reason": "误操作"},
        headers=auth(admin()),
    )
    assert to_itself.status_code == 422


async def test_a_batch_transfer_moves_every_building_or_none(registry_app: httpx.AsyncClient) -> None:
    source = await factories.community(registry_app)
    target = await factories.community(registry_app)
    buildings = [await factories.building(registry_app, source["id"]) for _ in range(3)]
    late = await factories.building(registry_app, source["id"], valid_from="2024-09-01")

    refused = await registry_app.post(
        "/v1/buildings/transfers",
        json={
            "building_ids": [b["id"] for b in (*buildings, late)],
            "to_community_id": target["id"],
            "effective_on": "2024-05-12",
            "reason": "新社区成立",
        },
        headers=auth(admin()),
    )
    assert refused.status_code == 409
    assert await _building_ids(registry_app, target["id"], "2024-05-12") == set()

    moved = await registry_app.post(
        "/v1/buildings/transfers",
        json={
            "building_ids": [b["id"] for b in buildings],
            "to_community_id": target["id"],
            "effective_on": "2024-05-12",
            "reason": "新社区成立",
        },
        headers=auth(admin()),
    )
    assert moved.status_code == 201, moved.text
    assert [item["from_community_id"] for item in moved.json()["items"]] == [source["id"]] * 3
    assert await _building_ids(registry_app, target["id"], "2024-05-12") == {b["id"] for b in buildings}
    assert await _building_ids(registry_app, source["id"], "2024-05-11") == {b["id"] for b in buildings}


async def test_transfers_are_published_on_the_feed(registry_app: httpx.AsyncClient) -> None:
    source = await factories.community(registry_app)
    target = await factories.community(registry_app)
    building = await factories.building(registry_app, source["id"])
    moved = await registry_app.post(
        f"/v1/buildings/{building['id']}/transfers",
        json={"to_community_id": target["id"], "effective_on": "2023-05-12", "reason": "划转"},
        headers=auth(admin()),
    )
    assert moved.status_code == 201, moved.text
    transferred = await factories.events(registry_app, "BuildingTransferred", 1)
    assert [event["payload"] for event in transferred] == [
        {
            "building_id": building["id"],
            "from_community_id": source["id"],
            "to_community_id": target["id"],
            "effective_on": "2023-05-12",
            "reason": "划转",
        }
    ]
    assert transferred[0]["aggregate_type"] == "building"


async def test_staff_of_another_community_cannot_change_xingguang(registry_app: httpx.AsyncClient, demo: None) -> None:
    iot_staff = auth(staff(IOT_ID))
    tower = XINGGUANG_TOWER_IDS[0]

    transfer = await registry_app.post(
        f"/v1/buildings/{tower}/transfers",
        json={"to_community_id": str(IOT_ID), "effective_on": business_today().isoformat(), "reason": "越权"},
        headers=iot_staff,
    )
    assert transfer.status_code == 403
    community = await registry_app.get(f"/v1/communities/{XINGGUANG_ID}", headers=iot_staff)
    patched = await registry_app.patch(
        f"/v1/communities/{XINGGUANG_ID}",
        json={"name_en": "Taken over"},
        headers={**iot_staff, "If-Match": community.headers["ETag"]},
    )
    assert patched.status_code == 403
    building = await registry_app.get(f"/v1/buildings/{tower}", headers=iot_staff)
    patched = await registry_app.patch(
        f"/v1/buildings/{tower}", json={"floors": 1}, headers={**iot_staff, "If-Match": building.headers["ETag"]}
    )
    assert patched.status_code == 403

    xingguang_staff = auth(staff(XINGGUANG_ID))
    allowed = await registry_app.patch(
        f"/v1/buildings/{tower}", json={"floors": 40}, headers={**xingguang_staff, "If-Match": building.headers["ETag"]}
    )
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["floors"] == 40


async def test_updates_need_the_current_version(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    building = await factories.building(registry_app, community["id"])
    url = f"/v1/buildings/{building['id']}"
    missing = await registry_app.patch(url, json={"floors": 10}, headers=auth(admin()))
    assert missing.status_code == 428
    first = await registry_app.patch(url, json={"floors": 10}, headers={**auth(admin()), "If-Match": '"v1"'})
    assert first.status_code == 200 and first.headers["ETag"] == '"v2"'
    stale = await registry_app.patch(url, json={"floors": 11}, headers={**auth(admin()), "If-Match": '"v1"'})
    assert stale.status_code == 412


# Published WGS-84 -> GCJ-02 pairs (lat, lon, lat, lon), the test vectors of googollee/eviltransform.
GCJ02_PAIRS = {
    "shanghai": (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    "shenzhen": (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    "beijing": (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
}


@pytest.mark.parametrize("city", GCJ02_PAIRS)
async def test_gcj02_input_is_stored_as_the_published_wgs84(registry_app: httpx.AsyncClient, city: str) -> None:
    wgs_lat, wgs_lon, gcj_lat, gcj_lon = GCJ02_PAIRS[city]
    community = await factories.community(registry_app)
    building = await factories.building(
        registry_app, community["id"], location={"lat": gcj_lat, "lon": gcj_lon, "datum": "gcj02"}
    )
    stored = building["location"]
    assert abs(stored["lat"] - wgs_lat) < 1e-6 and abs(stored["lon"] - wgs_lon) < 1e-6, stored  # about 0.1 m
    assert wgs84_to_gcj02(wgs_lat, wgs_lon) == pytest.approx((gcj_lat, gcj_lon), abs=1e-9)
