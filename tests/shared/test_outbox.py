"""The event feed never serves an event behind a position a consumer has already passed."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from registry.database import platform_tables
from shared.auth import Role
from shared.db import create_engine, create_sessionmaker
from shared.outbox import FeedConsumer, FeedEvent, record_event
from shared.settings import PlatformSettings
from tests.support.identities import TEST_SECRET, auth, identity

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


async def test_two_replicas_of_a_consumer_handle_each_event_once(notes: httpx.AsyncClient, database_url: str) -> None:
    """Two consumers on one cursor row (two replicas of a service), polling at once: every event
    is handled by exactly one of them, and in feed order."""
    engine = create_engine(PlatformSettings(database_url=database_url).async_database_url)
    sessionmaker = create_sessionmaker(engine)
    handled: list[tuple[str, int]] = []
    fetched: dict[str, set[int]] = {"first": set(), "second": set()}

    def client_of(name: str) -> httpx.AsyncClient:
        """The feed as this replica reads it, with what each page gave it recorded."""

        async def seen(response: httpx.Response) -> None:
            await response.aread()
            fetched[name].update(item["seq"] for item in response.json()["items"])

        return httpx.AsyncClient(transport=notes._transport, base_url=notes.base_url, event_hooks={"response": [seen]})

    def consumer(name: str) -> FeedConsumer:
        async def handle(session: AsyncSession, event: FeedEvent) -> None:
            await asyncio.sleep(0.002)  # other replica's turn, mid-transaction
            handled.append((name, event.seq))

        return FeedConsumer(
            source="replicated-notes",
            client=client_of(name),
            consumer_name=name,
            secret=TEST_SECRET,
            cursor_table=platform_tables.feed_cursor,
            sessionmaker=sessionmaker,
            handler=handle,
        )

    try:
        async with sessionmaker() as session, session.begin():
            for n in range(40):
                await _record(session, f"note-{n}")
        expected = [item["seq"] for item in await _feed_until(notes, 0, 40)]
        first, second = consumer("first"), consumer("second")
        for _ in range(3):  # both read the same cursor and get the same batch each time
            await asyncio.gather(first.poll_once(limit=25), second.poll_once(limit=25))
        seqs = [seq for _, seq in handled]
        assert sorted(seqs) == expected and seqs == sorted(seqs)
        # not vacuous: both replicas were handed the same events (which of them wins is timing)
        assert fetched["first"] & fetched["second"], "the replicas never read the same page: nothing raced"
        assert await first.position() == await second.position() == expected[-1]
    finally:
        await engine.dispose()
