"""The hot-path pool, the ORM and the webhook dispatcher through a real transaction-mode PgBouncer."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from fastapi import FastAPI

from service_requests.database import webhook_tables
from service_requests.settings import Settings
from service_requests.webhooks.delivery import enqueue
from service_requests.webhooks.dispatch import webhook_dispatch
from service_requests.webhooks.signing import new_secret
from shared.db import create_engine, create_sessionmaker
from shared.hot_path import Batcher, FairPool, hot_path_pool
from tests.shared.test_hot_path import divide
from tests.support.pgbouncer import pgbouncer


@pytest.fixture
async def bouncer(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    # Two server connections for many clients: statements of different clients share them.
    async with pgbouncer(database_url, tmp_path / "pgbouncer", pool_size=2) as url:
        yield url


def _settings(bouncer: str, direct: str) -> Settings:
    return Settings(
        database_url=bouncer,
        database_direct_url=direct,
        environment="test",
        db_prepared_statements=False,  # Debian's PgBouncer 1.18 has no protocol-level prepared statements
        hot_path_pool_size=8,
        webhooks_allow_private=True,
        webhook_poll_seconds=60.0,  # a delivery within seconds can only come from LISTEN/NOTIFY
    )


async def _open_pool(app: FastAPI) -> FairPool:
    for _ in range(100):
        pool: FairPool | None = getattr(app.state, "hot_path_pool", None)
        if pool is not None:
            return pool
        await asyncio.sleep(0.05)
    raise AssertionError("the hot-path pool did not open through PgBouncer")


async def test_the_hot_path_pool_opens_and_batches_through_pgbouncer(bouncer: str, database_url: str) -> None:
    app = FastAPI()
    app.state.settings = _settings(bouncer, database_url)
    task = asyncio.create_task(hot_path_pool(app))
    try:
        pool = await _open_pool(app)
        batcher = Batcher(pool, divide, name="test_pgbouncer_divide", runners=4)
        items = [1, 2, 4, 5, 10, 20, 25, 50] * 50

        results = await asyncio.gather(*(batcher.run(item) for item in items))

        assert results == [100 // item for item in items]
        async with pool.acquire() as connection:
            # nothing is sent at connection start but what PgBouncer accepts (it refused plan_cache_mode)
            assert await connection.fetchval("SHOW timezone") == "UTC"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_dispatcher_listens_directly_and_delivers_through_pgbouncer(bouncer: str, database_url: str) -> None:
    settings = _settings(bouncer, database_url)
    engine = create_engine(settings.async_database_url, pool_size=4, prepared_statements=False)
    sessionmaker = create_sessionmaker(engine)
    delivered: list[str] = []

    async def receive(request: web.Request) -> web.Response:
        delivered.append(request.headers["webhook-id"])
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hooks", receive)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"
    app = FastAPI()
    app.state.settings, app.state.sessionmaker = settings, sessionmaker
    dispatching = asyncio.create_task(webhook_dispatch(app))
    try:
        owner = uuid.uuid4()
        async with sessionmaker() as session, session.begin():
            await session.execute(
                webhook_tables.endpoint.insert().values(id=uuid.uuid4(), owner_id=owner, url=url, secret=new_secret())
            )
        await asyncio.sleep(0.5)  # the dispatcher found nothing and waits (for up to a minute)
        for expected in (1, 2, 3):
            async with sessionmaker() as session, session.begin():
                await enqueue(
                    session,
                    webhook_tables,
                    owner_id=owner,
                    event_type="RequestRouted",
                    data={"number": expected},
                    occurred_at=dt.datetime.now(dt.UTC),
                )
            for _ in range(100):
                if len(delivered) >= expected:
                    break
                await asyncio.sleep(0.05)
            assert len(set(delivered)) == expected  # woken by NOTIFY, not by the minute's poll
    finally:
        dispatching.cancel()
        await asyncio.gather(dispatching, return_exceptions=True)
        await runner.cleanup()
        await engine.dispose()
