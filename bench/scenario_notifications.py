"""Notifications: fan-out of one event to 50,000 people, and single events' commit-to-inbox time
while that fan-out runs.

A scratch database with every schema; 50,000 identity accounts, each an `employee` of one of 50
enterprises of one community (seeded with COPY). In one process: the identity app (recipients
page by page from accounts and live grants), the service-requests app (its event feed) and the
notifications app with its real background tasks (feed consumer, fan-out worker), each over ASGI.

* baseline: the same rows the fan-out writes (50,000 inbox + 50,000 SMS queue rows), written by
  one raw asyncpg `COPY` straight into `notifications.notification` — the database's ceiling for
  these rows, with no recipient look-up, no page transactions and no exactly-once check;
* fan-out: one `CampaignStarted` event (the rule: every employee of the community, urgent, SMS)
  handed to the feed handler; rows per second from the dispatch's commit to its last page;
* latency: while the fan-out runs, `RequestTransitioned` (resolved) events committed to the
  service-requests outbox at a steady rate, each read from its feed and written to its
  requester's inbox; time from each COMMIT to its inbox row (`created_at`, the page's transaction
  start, read afterwards).

Options: --recipients=50000 --rate=5 --page=5000 (recipients per fan-out page; the service default)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
import uuid
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

from bench.harness import option
from shared.outbox import FeedEvent
from shared.uow import unit_of_work
from tools.devdb import asyncpg_dsn, server_url
from tools.migrate import upgrade_all

COLUMNS = (
    "event_id", "kind", "urgent", "title_zh", "title_en", "body_zh", "body_en", "link",
    "recipient", "channel", "status", "next_attempt_at", "message",
)  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def _seed(dsn: str, recipients: int, community_id: uuid.UUID) -> list[str]:
    """Accounts with a live `employee` grant in one of 50 enterprises of the community."""
    enterprises = [uuid.uuid4() for _ in range(50)]
    accounts = [uuid.uuid4() for _ in range(recipients)]
    now = dt.datetime.now(dt.UTC)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "enterprise_community",
            schema_name="identity",
            columns=["enterprise_id", "community_id", "fetched_at"],
            records=[(enterprise, community_id, now) for enterprise in enterprises],
        )
        await connection.copy_records_to_table(
            "account",
            schema_name="identity",
            columns=["id", "status", "created_at", "updated_at", "version"],
            records=[(account, "active", now, now, 1) for account in accounts],
        )
        await connection.copy_records_to_table(
            "role_grant",
            schema_name="identity",
            columns=["id", "account_id", "role", "enterprise_id", "source", "granted_by", "created_at"],
            records=[
                (uuid.uuid4(), account, "employee", enterprises[n % len(enterprises)], "api", "bench", now)
                for n, account in enumerate(accounts)
            ],
        )
        await connection.execute("ANALYZE identity.account; ANALYZE identity.role_grant")
    finally:
        await connection.close()
    return [str(account) for account in accounts]


async def _baseline(dsn: str, subjects: list[str]) -> float:
    """COPY the rows the fan-out writes: an inbox row and an SMS row per person."""
    event_id = uuid.uuid4()
    later = dt.datetime.now(dt.UTC)
    message = '{"template_code": "SMS_490100001", "params": {"title": "台风应急", "status": "应急启动"}}'
    words = (event_id, "grid.campaign_started", True, "应急通知", "Emergency notice", "台风应急已启动", "started", None)
    records: list[tuple[object, ...]] = [(*words, subject, "inbox", "delivered", None, None) for subject in subjects]
    records += [(*words, subject, "sms", "queued", later, message) for subject in subjects]
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "notification", schema_name="notifications", columns=list(COLUMNS), records=records
        )
        elapsed = time.perf_counter() - started
        await connection.execute("DELETE FROM notifications.notification WHERE event_id = $1", event_id)
        await connection.execute("VACUUM ANALYZE notifications.notification")
    finally:
        await connection.close()
    return len(records) / elapsed


async def _run(database_url: str, recipients: int, rate: float, page: int) -> None:
    from identity.app import create_app as create_identity
    from identity.settings import Settings as IdentitySettings
    from notifications.app import create_app as create_notifications
    from notifications.database import platform_tables as _unused  # noqa: F401  (the models are complete)
    from notifications.settings import Settings
    from service_requests.app import create_app as create_requests
    from service_requests.database import platform_tables as request_tables
    from service_requests.settings import Settings as RequestSettings

    dsn = asyncpg_dsn(database_url)
    community_id = uuid.uuid4()
    subjects = await _seed(dsn, recipients, community_id)
    base_rate = await _baseline(dsn, subjects)

    identity = create_identity(IdentitySettings(database_url=database_url, environment="test"))
    requests = create_requests(
        RequestSettings(database_url=database_url, environment="test", webhook_dispatcher_enabled=False)
    )
    async with LifespanManager(identity) as running_identity, LifespanManager(requests) as running_requests:
        settings = Settings(
            database_url=database_url,
            environment="test",
            workers_enabled=True,
            feeds=("service-requests",),
            quiet_start_hour=0,
            quiet_end_hour=0,
            fanout_page_size=page,
            sms_per_second=0.001,  # the SMS rows stay queued: this measures writing them, not sending
        )
        app = create_notifications(
            settings,
            identity_transport=httpx.ASGITransport(app=running_identity.app),
            feed_transports={"service-requests": httpx.ASGITransport(app=running_requests.app)},
        )
        async with LifespanManager(app):
            notifications = app
            connection = await asyncpg.connect(dsn)
            try:
                big = FeedEvent(
                    seq=1,
                    event_id=uuid.uuid4(),
                    type="CampaignStarted",
                    aggregate_type="campaign",
                    aggregate_id=uuid.uuid4(),
                    occurred_at=dt.datetime.now(dt.UTC),
                    payload={"community_id": str(community_id), "title": "台风“海葵”防御应急排查"},
                )
                from notifications.dispatch.service import on_event

                started = time.perf_counter()
                async with unit_of_work(notifications) as uow:
                    await on_event(uow, "grid", big)
                committed: dict[str, float] = {}
                singles = asyncio.create_task(_singles(requests, request_tables, rate, committed))

                await _finished(connection, big.event_id)
                fan_out_seconds = time.perf_counter() - started
                singles.cancel()
                await asyncio.gather(singles, return_exceptions=True)
                written = await connection.fetchval(
                    "SELECT count(*) FROM notifications.notification WHERE event_id = $1", big.event_id
                )
                await asyncio.sleep(3)  # the last single events reach the inbox
                arrivals = dict(
                    await connection.fetch(
                        "SELECT recipient, extract(epoch FROM created_at) FROM notifications.notification"
                        " WHERE kind = 'request.resolved' AND recipient = ANY($1)",
                        list(committed),
                    )
                )
            finally:
                await connection.close()
    rate_rows = written / fan_out_seconds
    delays = [(float(arrivals[key]) - committed[key]) * 1000 for key in committed if key in arrivals]
    missing = len(committed) - len(delays)
    print(f"notifications: baseline COPY of the same rows: {base_rate:9.0f} rows/s ({2 * recipients} rows)")
    print(
        f"notifications: fan-out of one event to {recipients} people (inbox + SMS rows): {written} rows in "
        f"{fan_out_seconds:.1f} s = {rate_rows:9.0f} rows/s (ratio to baseline {rate_rows / base_rate:.2f})"
    )
    if delays:
        print(
            f"notifications: commit-to-inbox of {len(delays)} single events during the fan-out: "
            f"p50 {statistics.median(delays):.0f} ms, p99 {percentile(delays, 0.99):.0f} ms, "
            f"max {max(delays):.0f} ms" + (f" ({missing} not arrived)" if missing else "")
        )


async def _finished(connection: asyncpg.Connection, event_id: uuid.UUID) -> None:
    """Until the dispatch's last page is written (its status is read, not awaited on an event:
    the fan-out runs in the app's own background task)."""
    done = False
    while not done:
        status = await connection.fetchval("SELECT status FROM notifications.dispatch WHERE event_id = $1", event_id)
        done = status == "done"
        await asyncio.sleep(0 if done else 0.05)


async def _singles(app: Any, tables: Any, rate: float, committed: dict[str, float]) -> None:
    """Resolved requests, one per transaction, at `rate` per second: commit wall-clock per requester."""
    from shared.outbox import record_event

    while True:
        requester = f"bench-requester-{uuid.uuid4().hex[:10]}"
        async with app.state.sessionmaker() as session, session.begin():
            await record_event(
                session,
                tables.outbox_event,
                "RequestTransitioned",
                "service_request",
                uuid.uuid4(),
                {"action": "resolve", "to": "resolved", "requester_subject": requester, "title": "空调维修"},
            )
        committed[requester] = time.time()
        await asyncio.sleep(1.0 / rate)


def main(argv: list[str]) -> None:
    from notifications.settings import Settings

    recipients = int(option(argv, "recipients", "50000"))
    rate = float(option(argv, "rate", "5"))
    page = int(option(argv, "page", str(Settings.model_fields["fanout_page_size"].default)))  # the service's
    name = f"bench_notifications_{uuid.uuid4().hex[:8]}"

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
        asyncio.run(_run(url, recipients, rate, page))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
