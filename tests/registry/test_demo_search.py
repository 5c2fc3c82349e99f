"""Over the demo data: name-fragment search with stable keyset pages, statistics, the roll."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx

from registry.enterprises.uscc import is_valid
from registry.seed import XINGGUANG_ID, ZHONGXING_ID, seed
from tests.registry import factories
from tests.support.database import asyncpg_dsn
from tests.support.identities import admin, auth, staff


async def _ids_matching(database_url: str, fragment: str) -> set[str]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch("SELECT id FROM registry.enterprise WHERE strpos(name, $1) > 0", fragment)
    finally:
        await connection.close()
    return {str(row["id"]) for row in rows}


async def test_the_seed_is_idempotent_and_every_uscc_is_valid(database_url: str, demo: None) -> None:
    await seed(database_url)  # a second run changes nothing
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        codes = [row["uscc"] for row in await connection.fetch("SELECT uscc FROM registry.enterprise")]
    finally:
        await connection.close()
    assert 1_650 <= len(codes) <= 1_750
    assert all(is_valid(code) for code in codes)


async def test_search_pages_stay_stable_while_enterprises_are_added(
    registry_app: httpx.AsyncClient, database_url: str, demo: None
) -> None:
    before = await _ids_matching(database_url, "科技")
    assert len(before) > 300
    seen: list[tuple[str, str]] = []

    async def walk() -> None:
        url = "/v1/enterprises?q=科技&limit=50"
        while url:
            response = await registry_app.get(url, headers=auth(admin()))
            assert response.status_code == 200, response.text
            seen.extend((item["name"], item["id"]) for item in response.json()["items"])
            cursor = response.json().get("next_cursor")
            url = f"/v1/enterprises?q=科技&limit=50&cursor={cursor}" if cursor else ""
            if cursor:
                assert response.headers["Link"].endswith('rel="next"')
            await asyncio.sleep(0)

    async def insert() -> None:
        # names that sort before, among and after the demo names
        for prefix in ("万", "杭州", "阿", "杭州星", "中") * 4:
            await factories.enterprise(registry_app, name=f"{prefix}并发{uuid.uuid4().hex[:6]}科技有限公司")

    await asyncio.gather(walk(), insert())

    ids = [item_id for _, item_id in seen]
    assert len(ids) == len(set(ids)), "no enterprise is shown twice"
    assert before <= set(ids), "no enterprise that existed before the walk is skipped"
    assert ids == sorted(ids, key=uuid.UUID), "fragment searches page by id"
    assert all("科技" in name for name, _ in seen)


async def test_one_and_two_character_fragments_match(registry_app: httpx.AsyncClient, demo: None) -> None:
    for fragment in ("星", "传媒", "萧宏", "萧宏建设"):
        response = await registry_app.get(f"/v1/enterprises?q={fragment}&limit=100", headers=auth(admin()))
        assert response.status_code == 200
        names = [item["name"] for item in response.json()["items"]]
        assert names and all(fragment in name for name in names)
    nothing = await registry_app.get("/v1/enterprises?q=鑫", headers=auth(admin()))
    assert nothing.status_code == 200 and nothing.json()["items"] == []
    percent = await registry_app.get("/v1/enterprises?q=%25", headers=auth(admin()))
    assert percent.json()["items"] == []  # LIKE wildcards in the fragment are literal


async def test_longer_fragments_find_exactly_the_names_that_contain_them(
    registry_app: httpx.AsyncClient, database_url: str, demo: None
) -> None:
    names = await _some_names(database_url)
    # three characters and more are looked up by their trigrams; cut fragments out of real names
    fragments = {name[start : start + size] for name in names for start, size in ((2, 3), (1, 4), (0, 6))}
    for fragment in sorted(fragments):
        found: list[str] = []
        url = f"/v1/enterprises?q={fragment}&limit=100"
        while url:
            response = await registry_app.get(url, headers=auth(admin()))
            assert response.status_code == 200, response.text
            found += [item["id"] for item in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            url = f"/v1/enterprises?q={fragment}&limit=100&cursor={cursor}" if cursor else ""
        assert set(found) == await _ids_matching(database_url, fragment), fragment


async def _some_names(database_url: str) -> list[str]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch("SELECT name FROM registry.enterprise ORDER BY md5(id::text) LIMIT 4")
    finally:
        await connection.close()
    return [row["name"] for row in rows]


async def test_statistics_are_consistent_with_the_roll(registry_app: httpx.AsyncClient, demo: None) -> None:
    response = await registry_app.get(f"/v1/communities/{XINGGUANG_ID}/stats?as_of=2025-01-01", headers=auth(admin()))
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["buildings"] == 31
    assert stats["buildings_by_kind"] == {"office_tower": 22, "serviced_apartments": 8, "commercial_complex": 1}
    assert 1_500 <= stats["active_enterprises"] <= 1_700
    assert sum(stats["enterprises_by_industry_section"].values()) == stats["active_enterprises"]
    assert 27 <= stats["average_age"] <= 32
    assert stats["employees"] > 10_000

    roll = await registry_app.get(
        f"/internal/communities/{XINGGUANG_ID}/roll?as_of=2025-01-01", headers=auth(staff(XINGGUANG_ID))
    )
    assert roll.status_code == 403  # the roll is for services and admins
    roll = await registry_app.get(f"/internal/communities/{XINGGUANG_ID}/roll?as_of=2025-01-01", headers=auth(admin()))
    assert len(roll.json()["items"]) == stats["active_enterprises"]
    counts = await registry_app.get(
        f"/internal/communities/{XINGGUANG_ID}/headcounts?as_of=2025-01-01", headers=auth(admin())
    )
    employees = sum(item["employees"] for item in counts.json()["items"])
    assert abs(employees - stats["employees"]) <= len(counts.json()["items"])  # rounding per building

    before = await registry_app.get(f"/v1/communities/{XINGGUANG_ID}/stats?as_of=2023-05-11", headers=auth(admin()))
    assert before.json()["buildings"] == 0 and before.json()["active_enterprises"] == 0
    zhongxing = await registry_app.get(f"/v1/communities/{ZHONGXING_ID}/stats?as_of=2023-05-11", headers=auth(admin()))
    assert zhongxing.json()["buildings"] == 32
