"""The event feed never serves an event behind a position a consumer has already passed."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from registry.database import platform_tables
from shared.auth import Role
from shared.db import create_engine, create_sessionmaker
from shared.outbox import record_event
from shared.settings import PlatformSettings
from tests.support.identities import auth, identity

SERVICE = auth(identity(Role.service))


async def _feed(client: httpx.AsyncClient, after: int) -> list[dict[str, object]]:
    response = await client.get("/internal/events", params={"after": after}, headers=SERVICE)
    assert response.status_code == 200
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def _feed_until(client: httpx.AsyncClient, after: int, count: int) -> list[dict[str, object]]:
    """The feed once it serves `count` events: an older open transaction anywhere in the cluster
    (another test run, say) rightly holds events back until it ends."""
    for _ in range(200):
        items = await _feed(client, after)
        if len(items) >= count:
            return items
        await asyncio.sleep(0.05)
    return await _feed(client, after)


async def _record(session: AsyncSession, name: str) -> None:
    await record_event(session, platform_tables.outbox_event, name, "note", uuid.uuid4(), {"name": name})


async def test_a_slow_writer_is_not_skipped(notes: httpx.AsyncClient, database_url: str) -> None:
    engine = create_engine(PlatformSettings(database_url=database_url).async_database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as slow, sessionmaker() as fast:
            await _record(slow, "slow")  # inserted first, commits last
            await _record(fast, "fast")
            await fast.commit()

            # While the slow writer is open nothing newer may be served, or its event would be skipped.
            assert await _feed(notes, 0) == []
            await slow.commit()

        served = await _feed_until(notes, 0, 2)
        assert [item["type"] for item in served] == ["slow", "fast"]
        assert [item["seq"] for item in served] == [1, 2]

        async with sessionmaker() as later, later.begin():
            await _record(later, "later")
        after_two = await _feed_until(notes, 2, 1)
        assert [(item["type"], item["seq"]) for item in after_two] == [("later", 3)]
    finally:
        await engine.dispose()


async def test_feed_is_for_services_only(notes: httpx.AsyncClient) -> None:
    response = await notes.get("/internal/events", headers=auth(identity(Role.employee)))
    assert response.status_code == 403
