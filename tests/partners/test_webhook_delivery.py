"""Webhook delivery: verified signatures, retries, nothing lost when the dispatcher is killed."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook, WebhookVerificationError

from service_requests.webhooks.delivery import WebhookDispatcher, enqueue, redeliver
from service_requests.webhooks.signing import new_secret
from service_requests.webhooks.tables import WebhookTables, define_webhook_tables
from service_requests.webhooks.urls import Resolve, check_endpoint_url
from shared.db import create_engine, create_sessionmaker
from shared.errors import ProblemError
from shared.settings import PlatformSettings

SCHEMA = "webhook_test"
FAST = (0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05)


@dataclass
class Receiver:
    """A partner's endpoint: verifies every delivery and processes each webhook-id once."""

    secret: str
    fail_first: int = 0
    status_when_failing: int = 500
    extra_headers: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    processed: dict[str, dict[str, object]] = field(default_factory=dict)
    bad_signatures: int = 0
    delay: float = 0.0  # seconds each answer takes (deliveries stay in flight, their leases held)

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.calls <= self.fail_first:
            return web.Response(status=self.status_when_failing, headers=self.extra_headers)
        body = await request.read()
        try:
            payload = Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.bad_signatures += 1
            return web.Response(status=401)
        self.processed.setdefault(request.headers["webhook-id"], payload)
        return web.Response(status=204)


@pytest.fixture(scope="module")
async def tables(database_url: str) -> AsyncIterator[tuple[WebhookTables, async_sessionmaker[AsyncSession]]]:
    metadata = MetaData(schema=SCHEMA)
    webhook_tables = define_webhook_tables(metadata)
    engine = create_engine(PlatformSettings(database_url=database_url).async_database_url)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        await connection.run_sync(metadata.create_all)
    try:
        yield webhook_tables, create_sessionmaker(engine)
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
        await engine.dispose()


@pytest.fixture(autouse=True)
async def _empty_tables(tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]]) -> AsyncIterator[None]:
    yield
    async with tables[1]() as session, session.begin():
        await session.execute(text(f"TRUNCATE {SCHEMA}.webhook_endpoint CASCADE"))


async def _serve(receiver: Receiver) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hooks", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/hooks"


async def _endpoint(
    sessionmaker: async_sessionmaker[AsyncSession], tables: WebhookTables, url: str, secret: str, **extra: object
) -> uuid.UUID:
    owner = uuid.uuid4()
    async with sessionmaker() as session, session.begin():
        await session.execute(
            tables.endpoint.insert().values(id=uuid.uuid4(), owner_id=owner, url=url, secret=secret, **extra)
        )
    return owner


async def _enqueue(
    sessionmaker: async_sessionmaker[AsyncSession], tables: WebhookTables, owner: uuid.UUID, count: int
) -> None:
    async with sessionmaker() as session, session.begin():
        for number in range(count):
            await enqueue(
                session,
                tables,
                owner_id=owner,
                event_type="RequestRouted",
                data={"number": number},
                occurred_at=dt.datetime.now(dt.UTC),
            )


async def _drain(dispatcher: WebhookDispatcher, rounds: int = 200) -> None:
    """Run the dispatcher until nothing deliverable is pending (or `rounds` idle polls)."""
    tables: WebhookTables = dispatcher._tables
    async with aiohttp.ClientSession() as http:
        for _ in range(rounds):
            if await dispatcher.run_once(http) > 0:
                continue
            async with dispatcher._sessionmaker() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(tables.message.join(tables.endpoint))
                    .where(
                        tables.message.c.status == "pending",
                        tables.endpoint.c.disabled_at.is_(None),
                        tables.message.c.next_attempt_at < func.now() + dt.timedelta(seconds=60),
                    )
                )
            if not pending:
                return
            await asyncio.sleep(0.03)


async def test_down_receiver_gets_every_event_once_back(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    receiver = Receiver(secret=new_secret(), fail_first=6)
    runner, url = await _serve(receiver)
    before = {result: _attempts(result) for result in ("delivered", "failed")}
    try:
        owner = await _endpoint(sessionmaker, webhook_tables, url, receiver.secret)
        await _enqueue(sessionmaker, webhook_tables, owner, 5)
        dispatcher = WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, schedule=FAST)
        await _drain(dispatcher)
    finally:
        await runner.cleanup()
    assert sorted(payload["data"]["number"] for payload in receiver.processed.values()) == [0, 1, 2, 3, 4]  # type: ignore[index]
    assert receiver.bad_signatures == 0
    async with sessionmaker() as session:
        statuses = (await session.execute(select(webhook_tables.message.c.status))).scalars().all()
        attempts = (await session.execute(select(webhook_tables.attempt.c.status_code))).scalars().all()
    assert set(statuses) == {"delivered"}
    assert attempts.count(500) == 6 and attempts.count(204) == 5
    # the same counts on /metrics (webhook_delivery_attempts_total)
    assert _attempts("delivered") - before["delivered"] == 5
    assert _attempts("failed") - before["failed"] == 6


async def _leases(sessionmaker: async_sessionmaker[AsyncSession], tables: WebhookTables) -> tuple[int, int]:
    """(pending messages under a live lease, pending messages)."""
    message = tables.message
    async with sessionmaker() as session:
        leased = await session.scalar(
            select(func.count()).where(message.c.status == "pending", message.c.lease_until > func.now())
        )
        pending = await session.scalar(select(func.count()).where(message.c.status == "pending"))
    return int(leased or 0), int(pending or 0)


def _attempts(result: str) -> float:
    return REGISTRY.get_sample_value("webhook_delivery_attempts_total", {"result": result}) or 0.0


async def test_killing_the_dispatcher_mid_run_loses_nothing(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    # a slow partner: when the first delivery arrives, the batch is still in flight, leased and not
    # recorded (a fast one answers the whole batch before the test can look)
    receiver = Receiver(secret=new_secret(), delay=0.5)
    runner, url = await _serve(receiver)
    try:
        owner = await _endpoint(sessionmaker, webhook_tables, url, receiver.secret)
        await _enqueue(sessionmaker, webhook_tables, owner, 60)
        short_lease = dt.timedelta(seconds=2)  # long enough to be seen held on a loaded machine, short to wait out
        first = WebhookDispatcher(
            sessionmaker, webhook_tables, allow_private=True, schedule=FAST, lease=short_lease, batch=7
        )
        running = asyncio.create_task(first.run())
        deadline = time.monotonic() + 10
        while receiver.calls == 0:  # the first delivery has arrived: the dispatcher is mid-batch
            assert time.monotonic() < deadline, "the first dispatcher delivered nothing"
            await asyncio.sleep(0.005)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        receiver.delay = 0.0
        leased, pending = await _leases(sessionmaker, webhook_tables)
        assert 0 < receiver.calls < 60 and pending > 0, (receiver.calls, pending)  # killed mid-run
        assert leased > 0, "killed mid-batch: some messages are leased but never recorded"
        while leased:  # the dead dispatcher's leases expire
            assert time.monotonic() < deadline + 5, "leases never expired"
            await asyncio.sleep(0.02)
            leased, _ = await _leases(sessionmaker, webhook_tables)
        second = WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, schedule=FAST, lease=short_lease)
        await _drain(second)
    finally:
        await runner.cleanup()
    assert sorted(payload["data"]["number"] for payload in receiver.processed.values()) == list(range(60))  # type: ignore[index]
    assert receiver.calls >= 60


async def test_body_is_sent_byte_for_byte_and_rotation_signs_with_both(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    old_secret, new = new_secret(), new_secret()
    old_partner = Receiver(secret=old_secret, fail_first=1)
    runner, url = await _serve(old_partner)
    try:
        owner = await _endpoint(
            sessionmaker,
            webhook_tables,
            url,
            new,
            previous_secret=old_secret,
            previous_secret_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=24),
        )
        await _enqueue(sessionmaker, webhook_tables, owner, 1)
        await _drain(WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, schedule=FAST))
    finally:
        await runner.cleanup()
    assert len(old_partner.processed) == 1 and old_partner.bad_signatures == 0
    async with sessionmaker() as session:
        stored = (await session.execute(select(webhook_tables.message.c.payload))).scalar_one()
    assert b'"type":"RequestRouted"' in stored and b'"data":{"number":0}' in stored


@pytest.mark.parametrize(("status", "disables"), [(410, True), (302, False)])
async def test_gone_disables_and_redirects_count_as_failures(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]], status: int, disables: bool
) -> None:
    webhook_tables, sessionmaker = tables
    receiver = Receiver(
        secret=new_secret(),
        fail_first=1,
        status_when_failing=status,
        extra_headers={"Location": "http://127.0.0.1:9/elsewhere"} if status == 302 else {},
    )
    runner, url = await _serve(receiver)
    try:
        owner = await _endpoint(sessionmaker, webhook_tables, url, receiver.secret)
        await _enqueue(sessionmaker, webhook_tables, owner, 1)
        await _drain(WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, schedule=FAST), rounds=20)
    finally:
        await runner.cleanup()
    async with sessionmaker() as session:
        endpoint = (
            await session.execute(select(webhook_tables.endpoint).where(webhook_tables.endpoint.c.owner_id == owner))
        ).one()
    assert (endpoint.disabled_at is not None) is disables
    assert len(receiver.processed) == (0 if disables else 1)


async def test_retry_after_is_honoured_and_redeliver_requeues(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    receiver = Receiver(
        secret=new_secret(), fail_first=1, status_when_failing=503, extra_headers={"Retry-After": "3600"}
    )
    runner, url = await _serve(receiver)
    try:
        owner = await _endpoint(sessionmaker, webhook_tables, url, receiver.secret)
        await _enqueue(sessionmaker, webhook_tables, owner, 1)
        dispatcher = WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, schedule=FAST)
        await _drain(dispatcher, rounds=10)
        assert receiver.processed == {}
        async with sessionmaker() as session:
            message = (await session.execute(select(webhook_tables.message))).one()
            wait = (message.next_attempt_at - dt.datetime.now(dt.UTC)).total_seconds()
        assert 3500 < wait <= 3600
        async with sessionmaker() as session, session.begin():
            assert await redeliver(session, webhook_tables, message.id)
        await _drain(dispatcher, rounds=10)
    finally:
        await runner.cleanup()
    assert list(receiver.processed) == [message.id]


async def test_disabled_endpoints_receive_nothing(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    receiver = Receiver(secret=new_secret())
    runner, url = await _serve(receiver)
    try:
        owner = await _endpoint(sessionmaker, webhook_tables, url, receiver.secret)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(webhook_tables.endpoint)
                .where(webhook_tables.endpoint.c.owner_id == owner)
                .values(disabled_at=dt.datetime.now(dt.UTC))
            )
        await _enqueue(sessionmaker, webhook_tables, owner, 2)
        await _drain(WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, schedule=FAST), rounds=5)
    finally:
        await runner.cleanup()
    assert receiver.calls == 0


async def test_the_backlog_gauges_show_how_long_a_partner_has_been_waited_for(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    message = webhook_tables.message
    down = await _endpoint(sessionmaker, webhook_tables, "https://partner.example/hooks", new_secret())
    gone = await _endpoint(
        sessionmaker, webhook_tables, "https://gone.example/hooks", new_secret(), disabled_at=dt.datetime.now(dt.UTC)
    )
    dispatcher = WebhookDispatcher(sessionmaker, webhook_tables)
    assert await dispatcher.measure_backlog() == (0, 0.0)

    def _row(owner_endpoint: uuid.UUID, hours_ago: float, status: str = "pending") -> dict[str, object]:
        created = func.now() - dt.timedelta(hours=hours_ago)
        return {
            "id": f"msg_{uuid.uuid4().hex}",
            "endpoint_id": owner_endpoint,
            "event_type": "RequestRouted",
            "payload": b"{}",
            "status": status,
            "created_at": created,
        }

    async with sessionmaker() as session, session.begin():
        endpoints = dict(
            (await session.execute(select(webhook_tables.endpoint.c.owner_id, webhook_tables.endpoint.c.id))).all()
        )
        rows = [
            _row(endpoints[down], 3),  # waiting three hours: the one the gauge reports
            _row(endpoints[down], 0.5),
            _row(endpoints[down], 48, status="delivered"),  # old but done
            _row(endpoints[gone], 72),  # its endpoint is disabled: nothing to wait for
        ]
        for row in rows:
            await session.execute(message.insert().values(**row))
    pending, age = await dispatcher.measure_backlog()
    assert pending == 2
    assert 3 * 3600 - 5 < age < 3 * 3600 + 60
    assert REGISTRY.get_sample_value("webhook_oldest_pending_seconds", {"schema": SCHEMA}) == age
    assert REGISTRY.get_sample_value("webhook_pending_messages", {"schema": SCHEMA}) == 2


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.9/hook",
        "https://[::1]/hook",
        "http://93.184.216.34/hook",
        "ftp://example.org/hook",
        "https://localhost/hook",
        "https://0.0.0.0/hook",
        "https://[::]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://[fe80::1%25eth0]/hook",
        "https://[fc00::1]/hook",
        "https://224.0.0.1/hook",
        "https://[ff02::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[::127.0.0.1]/hook",
        "https://[64:ff9b::7f00:1]/hook",
        "https://[2002:7f00:1::]/hook",
        "https://2130706433/hook",
        "https://0177.0.0.1/hook",
        "https://0x7f.1/hook",
        "https://127.1/hook",
        "https://93.184.216.34:99999/hook",
    ],
)
async def test_private_and_plain_urls_are_refused_by_default(url: str) -> None:
    with pytest.raises(ProblemError) as refused:
        await check_endpoint_url(url, allow_private=False)
    assert refused.value.code == "WEBHOOK_URL_NOT_ALLOWED"
    assert refused.value.errors[0]["pointer"] == "/url"


def _resolver(*answers: list[str]) -> tuple[Resolve, list[str]]:
    """A fake DNS: each lookup gives the next answer (the last one repeats); records the names asked."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), len(answers)) - 1]

    return resolve, asked


@pytest.mark.parametrize("answer", [["10.0.0.7"], ["93.184.216.34", "127.0.0.1"], ["::ffff:192.168.1.1"], []])
async def test_a_name_resolving_to_any_private_address_is_refused(answer: list[str]) -> None:
    resolve, asked = _resolver(answer)
    with pytest.raises(ProblemError) as refused:
        await check_endpoint_url("https://partner.example/hook", allow_private=False, resolve=resolve)
    assert refused.value.code == "WEBHOOK_URL_NOT_ALLOWED"
    assert asked == ["partner.example"]


async def test_a_name_resolving_to_public_addresses_is_accepted() -> None:
    resolve, asked = _resolver(["93.184.216.34", "2606:2800:220:1::1"])
    await check_endpoint_url("https://partner.example/hook", allow_private=False, resolve=resolve)
    await check_endpoint_url("https://银行.example/hook", allow_private=False, resolve=resolve)
    assert asked == ["partner.example", "xn--jn2a72x.example"]


async def test_loopback_is_allowed_only_when_configured() -> None:
    await check_endpoint_url("http://127.0.0.1:9000/hook", allow_private=True)


async def _attempt_log(
    sessionmaker: async_sessionmaker[AsyncSession], tables: WebhookTables
) -> list[tuple[object, ...]]:
    async with sessionmaker() as session:
        rows = await session.execute(select(tables.attempt.c.status_code, tables.attempt.c.error))
    return [tuple(row) for row in rows.all()]


async def test_a_name_that_turns_private_after_registration_is_refused_at_delivery(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    receiver = Receiver(secret=new_secret())
    runner, url = await _serve(receiver)
    port = url.split(":")[2].split("/")[0]
    # public when the partner registered it, loopback (where the receiver listens) when delivering
    resolve, asked = _resolver(["93.184.216.34"], ["127.0.0.1"])
    try:
        partner_url = f"https://partner.example:{port}/hooks"
        await check_endpoint_url(partner_url, allow_private=False, resolve=resolve)
        owner = await _endpoint(sessionmaker, webhook_tables, partner_url, receiver.secret)
        await _enqueue(sessionmaker, webhook_tables, owner, 1)
        dispatcher = WebhookDispatcher(sessionmaker, webhook_tables, schedule=FAST, resolve=resolve)
        async with aiohttp.ClientSession() as http:
            assert await dispatcher.run_once(http) == 1
    finally:
        await runner.cleanup()
    assert receiver.calls == 0
    assert asked == ["partner.example", "partner.example"]
    assert await _attempt_log(sessionmaker, webhook_tables) == [
        (None, "refused: The host resolves to a loopback or private address")
    ]


async def test_delivery_connects_to_the_address_it_checked(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    hosts: list[str] = []
    receiver = Receiver(secret=new_secret())
    original = receiver.handle

    async def handle(request: web.Request) -> web.Response:
        hosts.append(request.headers["host"])
        return await original(request)

    receiver.handle = handle  # type: ignore[method-assign]
    runner, url = await _serve(receiver)
    port = url.split(":")[2].split("/")[0]
    # `partner.test` exists only in this resolver: the connection can only reach the receiver through it
    resolve, asked = _resolver(["127.0.0.1"])
    try:
        owner = await _endpoint(sessionmaker, webhook_tables, f"http://partner.test:{port}/hooks", receiver.secret)
        await _enqueue(sessionmaker, webhook_tables, owner, 1)
        dispatcher = WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, schedule=FAST, resolve=resolve)
        async with aiohttp.ClientSession() as http:
            assert await dispatcher.run_once(http) == 1
    finally:
        await runner.cleanup()
    assert len(receiver.processed) == 1 and receiver.bad_signatures == 0
    assert asked == ["partner.test"]
    assert hosts == [f"partner.test:{port}"]


async def test_a_redirect_is_a_failed_attempt_and_never_followed(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    internal = Receiver(secret=new_secret())
    internal_runner, internal_url = await _serve(internal)
    redirecting = Receiver(secret=new_secret(), fail_first=1, status_when_failing=307)
    redirecting.extra_headers["location"] = internal_url
    runner, url = await _serve(redirecting)
    try:
        owner = await _endpoint(sessionmaker, webhook_tables, url, redirecting.secret)
        await _enqueue(sessionmaker, webhook_tables, owner, 1)
        dispatcher = WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, schedule=(60.0,))
        async with aiohttp.ClientSession() as http:
            assert await dispatcher.run_once(http) == 1
    finally:
        await runner.cleanup()
        await internal_runner.cleanup()
    assert internal.calls == 0
    assert await _attempt_log(sessionmaker, webhook_tables) == [(307, "redirect not followed")]


@contextlib.asynccontextmanager
async def _idle_dispatcher(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> AsyncIterator[tuple[Receiver, uuid.UUID]]:
    """A running dispatcher that would poll only once a minute, and the receiver of one endpoint."""
    webhook_tables, sessionmaker = tables
    receiver = Receiver(secret=new_secret())
    runner, url = await _serve(receiver)
    dispatcher = WebhookDispatcher(sessionmaker, webhook_tables, allow_private=True, schedule=FAST, poll_seconds=60)
    running = asyncio.create_task(dispatcher.run())
    try:
        owner = await _endpoint(sessionmaker, webhook_tables, url, receiver.secret)
        deadline = time.monotonic() + 5
        while await _listening(sessionmaker) != 1:  # it found nothing and waits (for up to a minute)
            assert time.monotonic() < deadline, "the dispatcher never listened"
            await asyncio.sleep(0.02)
        yield receiver, owner
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await runner.cleanup()


async def _processed(receiver: Receiver, expected: int) -> int:
    """How many messages the receiver processed, once it has `expected` or 5 s (far below the poll) passed."""
    for _ in range(100):
        if len(receiver.processed) >= expected:
            break
        await asyncio.sleep(0.05)
    return len(receiver.processed)


async def _listening(sessionmaker: async_sessionmaker[AsyncSession], *, terminate: bool = False) -> int:
    """Connections listening on the test schema's channel (terminated first when asked)."""
    counted = "count(pg_terminate_backend(pid))" if terminate else "count(*)"
    async with sessionmaker() as session, session.begin():
        found = await session.scalar(
            text(f"SELECT {counted} FROM pg_stat_activity WHERE query = :listen"),
            {"listen": f'LISTEN "{SCHEMA}_webhooks"'},
        )
    return int(found or 0)


async def test_an_idle_dispatcher_is_woken_by_the_commit_not_the_poll(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]],
) -> None:
    webhook_tables, sessionmaker = tables
    async with _idle_dispatcher(tables) as (receiver, owner):
        for expected in (1, 2):
            await _enqueue(sessionmaker, webhook_tables, owner, 1)
            assert await _processed(receiver, expected) == expected


async def test_a_lost_listening_connection_is_reopened(
    tables: tuple[WebhookTables, async_sessionmaker[AsyncSession]], monkeypatch: pytest.MonkeyPatch
) -> None:
    webhook_tables, sessionmaker = tables
    monkeypatch.setattr("service_requests.webhooks.delivery._Listener.RETRY_SECONDS", 0.2)
    async with _idle_dispatcher(tables) as (receiver, owner):
        assert await _listening(sessionmaker, terminate=True) == 1  # the dispatcher's listening connection is gone
        deadline = time.monotonic() + 5
        while await _listening(sessionmaker) != 1:  # it notices (termination listener) and listens again
            assert time.monotonic() < deadline, "the dispatcher never listened again"
            await asyncio.sleep(0.02)
        await _enqueue(sessionmaker, webhook_tables, owner, 1)
        assert await _processed(receiver, 1) == 1
