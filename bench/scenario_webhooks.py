"""Webhook delivery: events per second to a local receiver and commit-to-delivery time (p50, p99).

The service-requests webhook tables in a scratch database; one local aiohttp receiver on loopback
that verifies nothing (it only timestamps arrivals, so it is not the bottleneck). Measured:

* baseline: the same signed bodies POSTed straight to the receiver by one aiohttp client with the
  dispatcher's concurrency (the network + receiver ceiling, no database);
* throughput: N messages already committed, then `WebhookDispatcher` replicas drain them;
* latency: events committed one per transaction at a steady rate while the dispatcher runs with
  the app's settings (woken by LISTEN/NOTIFY, 0.5 s poll as fallback); time from each COMMIT returning to its arrival.

Options: --events=2000 --replicas=2 --rate=40 --seconds=5
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
import uuid

import aiohttp
import asyncpg
from aiohttp import web
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.harness import option
from service_requests.database import webhook_tables
from service_requests.webhooks.delivery import WebhookDispatcher, enqueue
from service_requests.webhooks.signing import new_secret, signature_header
from shared.db import create_engine, create_sessionmaker
from shared.settings import PlatformSettings
from tools.devdb import asyncpg_dsn, server_url
from tools.migrate import upgrade_all


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.expected = 0
        self.done = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.arrivals.setdefault(request.headers["webhook-id"], time.perf_counter())
        if self.expected and len(self.arrivals) >= self.expected:
            self.done.set()
        return web.Response(status=204)

    def reset(self, expected: int) -> None:
        self.arrivals.clear()
        self.expected = expected
        self.done = asyncio.Event()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def _baseline(url: str, events: int, concurrency: int, receiver: Receiver) -> float:
    secret = new_secret()
    body = b'{"type":"Bench","timestamp":"2026-01-01T00:00:00Z","data":{}}'
    receiver.reset(events)
    queue = iter(range(events))
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http:

        async def worker() -> None:
            for index in queue:
                message_id = f"msg_base_{index}"
                now = dt.datetime.now(dt.UTC)
                headers = {
                    "webhook-id": message_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": signature_header(message_id, now, body, [secret]),
                    "content-type": "application/json",
                }
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return events / (time.perf_counter() - started)


async def _run(database_url: str, events: int, replicas: int, rate: float, seconds: float) -> None:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    engine = create_engine(PlatformSettings(database_url=database_url).async_database_url)
    sessionmaker = create_sessionmaker(engine)
    owner = uuid.uuid4()
    async with sessionmaker() as session, session.begin():
        await session.execute(
            insert(webhook_tables.endpoint).values(id=uuid.uuid4(), owner_id=owner, url=url, secret=new_secret())
        )
    batch = 20  # the dispatcher's default batch
    try:
        base_rate = await _baseline(url, events, replicas * batch, receiver)

        # throughput: everything committed first, then the dispatchers drain it
        for start in range(0, events, 500):
            async with sessionmaker() as session, session.begin():
                for index in range(start, min(events, start + 500)):
                    await enqueue(
                        session,
                        webhook_tables,
                        owner_id=owner,
                        event_type="RequestTransitioned",
                        data={"n": index},
                        occurred_at=dt.datetime.now(dt.UTC),
                    )
        receiver.reset(events)
        dispatchers = [
            WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, poll_seconds=0.05)
            for _ in range(replicas)
        ]
        started = time.perf_counter()
        tasks = [asyncio.create_task(dispatcher.run()) for dispatcher in dispatchers]
        await asyncio.wait_for(receiver.done.wait(), timeout=120)
        drain_rate = events / (time.perf_counter() - started)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

        # latency: a steady trickle of single-event transactions, dispatcher as the app runs it
        count = int(rate * seconds)
        receiver.reset(count)
        committed: dict[str, float] = {}
        task = asyncio.create_task(WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True).run())
        for index in range(count):
            async with sessionmaker() as session:
                async with session.begin():
                    await enqueue(
                        session,
                        webhook_tables,
                        owner_id=owner,
                        event_type="RequestCommented",
                        data={"n": index},
                        occurred_at=dt.datetime.now(dt.UTC),
                    )
                    message_id = await _last_message_id(session)
                committed[message_id] = time.perf_counter()
            await asyncio.sleep(1.0 / rate)
        await asyncio.wait_for(receiver.done.wait(), timeout=60)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        delays = [(receiver.arrivals[key] - committed[key]) * 1000 for key in committed]
    finally:
        await engine.dispose()
        await runner.cleanup()

    print(f"webhooks: baseline direct POST to the receiver: {base_rate:8.0f} events/s ({replicas * batch} in flight)")
    print(
        f"webhooks: outbox -> {replicas} dispatcher(s), {events} queued: {drain_rate:8.0f} events/s "
        f"(ratio to baseline {drain_rate / base_rate:.2f})"
    )
    print(
        f"webhooks: commit-to-delivery at {rate:.0f} events/s for {seconds:.0f} s (woken by NOTIFY): "
        f"p50 {statistics.median(delays):.0f} ms, p99 {percentile(delays, 0.99):.0f} ms, "
        f"max {max(delays):.0f} ms"
    )


async def _last_message_id(session: AsyncSession) -> str:
    message = webhook_tables.message
    statement = select(message.c.id).order_by(message.c.created_at.desc()).limit(1)
    return str((await session.execute(statement)).scalar_one())


def main(argv: list[str]) -> None:
    events = int(option(argv, "events", "2000"))
    replicas = int(option(argv, "replicas", "2"))
    rate = float(option(argv, "rate", "40"))
    seconds = float(option(argv, "seconds", "5"))
    name = f"bench_webhooks_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(server_url("postgres")))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        url = server_url(name)
        upgrade_all(url)
        asyncio.run(_run(url, events, replicas, rate, seconds))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
