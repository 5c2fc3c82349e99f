"""The demo data tells the article's story: the communities' facts survive the seed, names look real."""

from __future__ import annotations

import re

import asyncpg
import httpx

from registry.seed import IOT_ID, NAME_WORDS, XINGGUANG_ID
from tests.support.database import asyncpg_dsn
from tests.support.identities import admin, auth


async def test_every_community_keeps_its_own_facts(registry_app: httpx.AsyncClient, demo: None) -> None:
    xingguang = (await registry_app.get(f"/v1/communities/{XINGGUANG_ID}", headers=auth(admin()))).json()
    assert xingguang["area_km2"] == 0.96
    assert xingguang["established_on"] is not None
    assert xingguang["generation"] == "2.0"
    assert xingguang["boundary"]["north"] == "钱塘江"
    iot = (await registry_app.get(f"/v1/communities/{IOT_ID}", headers=auth(admin()))).json()
    assert iot["established_on"] == "2021-01-01"
    assert iot["generation"] == "1.0"
    assert iot["boundary"]["east"] == "西兴路"


async def test_no_enterprise_name_repeats_a_word(database_url: str, demo: None) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        names = [row["name"] for row in await connection.fetch("SELECT name FROM registry.enterprise")]
    finally:
        await connection.close()
    doubled = re.compile("|".join(f"{word}{word}" for word in NAME_WORDS))
    assert [name for name in names if doubled.search(name)] == []
    assert len(set(names)) == len(names)
