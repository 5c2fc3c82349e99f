"""Concurrent submissions share statements on the hot path, and each is still filed whole."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from service_requests.app import create_app
from service_requests.settings import Settings
from shared.hot_path import FairPool
from tests.service_requests.conftest import World, create_type, submit
from tests.support.database import asyncpg_dsn


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The service with its hot-path pool open, and a client for it."""
    application = create_app(Settings(database_url=database_url, environment="test", webhook_dispatcher_enabled=False))
    async with LifespanManager(application) as manager:
        for _ in range(100):  # the pool opens in the background
            if getattr(application.state, "hot_path_pool", None) is not None:
                break
            await asyncio.sleep(0.05)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
            yield application, client


async def test_concurrent_submissions_are_batched_and_each_is_filed_whole(
    app: tuple[FastAPI, httpx.AsyncClient], database_url: str, world: World
) -> None:
    application, client = app
    pool: FairPool = application.state.hot_path_pool
    service_type = await create_type(client, world)
    earlier = (await submit(client, world.employee(), service_type["id"], description="三号楼电梯故障无法运行")).json()
    enterprises = [world.enterprise_id, world.other_enterprise_id] * 40

    responses = await asyncio.gather(
        *(
            submit(client, world.employee(enterprise), service_type["id"], description=f"三号楼电梯故障无法运行{n}")
            for n, enterprise in enumerate(enterprises)
        )
    )

    assert [response.status_code for response in responses] == [201] * len(enterprises)
    created = [response.json() for response in responses]
    ids = [uuid.UUID(item["id"]) for item in created]
    assert len(set(ids)) == len(ids)
    batches = sum(batcher.batches for batcher in pool.batchers.values())
    assert batches <= 1 + len(ids) // 4  # the earlier one ran alone; the 80 shared a few statements

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT r.id, r.enterprise_id, r.status,"
            " (SELECT count(*) FROM requests.request_event e"
            "  WHERE e.request_id = r.id AND e.action = 'submit') AS history,"
            " (SELECT count(*) FROM requests.outbox_event o"
            "  WHERE o.aggregate_id = r.id AND o.type = 'RequestSubmitted') AS events"
            " FROM requests.service_request r WHERE r.id = ANY($1::uuid[])",
            ids,
        )
    finally:
        await connection.close()
    assert len(rows) == len(ids)
    assert {(row["status"], row["history"], row["events"]) for row in rows} == {("submitted", 1, 1)}

    # each hint is one of the same enterprise's requests, never the other's, never itself
    owner = {str(row["id"]): row["enterprise_id"] for row in rows} | {earlier["id"]: world.enterprise_id}
    for enterprise, item in zip(enterprises, created, strict=True):
        hints = [hint["id"] for hint in item["possible_duplicates"]]
        assert item["id"] not in hints
        assert {owner[hint] for hint in hints} <= {enterprise}
        similarities = [hint["similarity"] for hint in item["possible_duplicates"]]
        assert similarities == sorted(similarities, reverse=True)
    assert all(
        item["possible_duplicates"]
        for enterprise, item in zip(enterprises, created, strict=True)
        if enterprise == world.enterprise_id
    )  # the earlier request, at least, is similar
