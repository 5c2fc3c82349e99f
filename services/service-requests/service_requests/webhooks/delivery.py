"""Outbound webhooks (Standard Webhooks): endpoints, messages enqueued with the change, a dispatcher.

Messages are written in the same transaction as the change that caused them, serialised once
and resent byte for byte. The dispatcher leases due messages with `FOR UPDATE SKIP LOCKED`
(safe with many replicas), delivers outside any transaction, and records every attempt. A
dispatcher killed mid-delivery loses nothing: the lease expires and another one retries with
the same `webhook-id`, which receivers use to process each message once.

Enqueueing also sends `NOTIFY <schema>_webhooks` (delivered by PostgreSQL at commit), and an idle
dispatcher `LISTEN`s on it, so a new message goes out milliseconds after its commit instead of at
the next poll; the poll remains for retries that fall due, and covers the seconds until a lost
listening connection is reopened.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from service_requests.webhooks.delivery_repository import DeliveryRepository, wake_channel
from service_requests.webhooks.signing import signature_header
from service_requests.webhooks.tables import WebhookTables
from service_requests.webhooks.urls import Resolve, UnsafeWebhookUrl, resolve_endpoint_url, system_resolve
from shared.jsonutil import dumps
from shared.uow import UnitOfWork

logger = structlog.get_logger("service_requests.webhooks.delivery")

DELIVERY_ATTEMPTS = Counter(
    "webhook_delivery_attempts_total",
    "Webhook delivery attempts by result (delivered, failed: a non-2xx answer or no answer)",
    ["result"],
)
ENDPOINTS_DISABLED = Counter("webhook_endpoints_disabled_total", "Endpoints the dispatcher disabled (410, 5 days)")
BACKLOG_AGE = Gauge(
    "webhook_oldest_pending_seconds",
    "Age of the oldest message still waiting for an enabled endpoint (0 when none): a partner that "
    "has been down for hours shows here long before its endpoint is disabled",
    ["schema"],
)
BACKLOG_SIZE = Gauge("webhook_pending_messages", "Messages waiting for enabled endpoints", ["schema"])

# Seconds to wait before attempt n+1 after attempt n failed (attempt 1 is immediate).
RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
DISABLE_AFTER = dt.timedelta(days=5)
RESPONSE_EXCERPT_BYTES = 4096


async def enqueue(
    session: AsyncSession,
    tables: WebhookTables,
    *,
    owner_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
    occurred_at: dt.datetime,
) -> int:
    """In the caller's transaction: one message per active endpoint of `owner_id` wanting this type."""
    repository = DeliveryRepository(UnitOfWork(session, None), tables)
    targets = await repository.wanting(owner_id, event_type)
    if not targets:
        return 0
    body = dumps({"type": event_type, "timestamp": occurred_at.astimezone(dt.UTC), "data": data})
    await repository.add_messages(targets, event_type, body)
    return len(targets)


def retry_after_seconds(header: str | None, now: dt.datetime) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date)."""
    if not header:
        return None
    if header.strip().isdigit():
        return float(header.strip())
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    excerpt: str | None
    error: str | None
    retry_after: float | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


EndpointDisabled = Callable[[uuid.UUID, str], Awaitable[None]]


class WebhookDispatcher:
    """Delivers due messages; run one per process (or many: leases keep them apart)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        tables: WebhookTables,
        *,
        allow_private: bool = False,
        schedule: Sequence[float] = RETRY_SCHEDULE,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        batch: int = 20,
        timeout_seconds: float = 15.0,
        poll_seconds: float = 0.5,
        backlog_seconds: float = 15.0,
        on_endpoint_disabled: EndpointDisabled | None = None,
        resolve: Resolve = system_resolve,
        listen_engine: AsyncEngine | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._resolve = resolve
        # LISTEN needs a session that stays one: behind a transaction-mode pooler, a direct engine
        self._listen_engine: AsyncEngine = listen_engine or sessionmaker.kw["bind"]
        self._tables = tables
        self._allow_private = allow_private
        self._schedule = tuple(schedule)
        self._lease = lease
        self._batch = batch
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._poll_seconds = poll_seconds
        self._backlog_seconds = backlog_seconds
        self._on_endpoint_disabled = on_endpoint_disabled

    async def claim(self) -> list[Any]:
        """Lease up to `batch` due messages of enabled endpoints."""
        async with self._sessionmaker() as session, session.begin():
            return await self._repository(session).lease(self._batch, self._lease)

    def _repository(self, session: AsyncSession) -> DeliveryRepository:
        return DeliveryRepository(UnitOfWork(session, None), self._tables)

    async def deliver(self, http: aiohttp.ClientSession, row: Any, endpoint: Any) -> Outcome:
        """One attempt; 2xx is success, anything else (3xx included) a failure."""
        now = dt.datetime.now(dt.UTC)
        active = [endpoint.secret]
        if (
            endpoint.previous_secret
            and endpoint.previous_secret_expires_at
            and endpoint.previous_secret_expires_at > now
        ):
            active.append(endpoint.previous_secret)
        headers = {
            "content-type": "application/json",
            "webhook-id": row.id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature_header(row.id, now, row.payload, active),
            "user-agent": "binjiang-platform-webhooks/1",
        }
        started = time.perf_counter()
        try:
            # Resolved and checked now, not only at registration (a name can change since), and the
            # connection goes to the address checked here: nothing resolves the name a second time.
            target = await resolve_endpoint_url(endpoint.url, allow_private=self._allow_private, resolve=self._resolve)
        except UnsafeWebhookUrl as refused:
            return Outcome(None, _ms(started), None, f"refused: {refused}"[:200], None)
        headers["host"] = target.host
        try:
            async with http.post(
                target.url,
                data=row.payload,
                headers=headers,
                allow_redirects=False,  # a redirect is a failed attempt: its target is never checked nor called
                server_hostname=target.server_hostname,
            ) as answer:
                excerpt = (await answer.content.read(RESPONSE_EXCERPT_BYTES)).decode("utf-8", "replace")
                retry_after = retry_after_seconds(answer.headers.get("retry-after"), now)
                error = "redirect not followed" if 300 <= answer.status < 400 else None
                return Outcome(answer.status, _ms(started), excerpt, error, retry_after)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Outcome(None, _ms(started), None, type(exc).__name__, None)

    async def record(self, row: Any, endpoint: Any, outcome: Outcome) -> None:
        """Log one attempt and schedule, finish or give up on its message."""
        await self.record_all([(row, endpoint, outcome)])

    async def record_all(self, results: Sequence[tuple[Any, Any, Outcome]]) -> None:
        """Log a batch's attempts and schedule, finish or give up on each message, in one transaction.

        The usual batch (everything delivered) costs three statements, whatever its size: the
        attempts, the delivered messages, the endpoints now known to be healthy.
        """
        disabled: list[tuple[uuid.UUID, str]] = []
        delivered = [(row, endpoint, outcome) for row, endpoint, outcome in results if outcome.delivered]
        async with self._sessionmaker() as session, session.begin():
            repository = self._repository(session)
            await repository.add_attempts(
                [
                    {
                        "message_id": row.id,
                        "status_code": outcome.status_code,
                        "duration_ms": outcome.duration_ms,
                        "response_excerpt": outcome.excerpt,
                        "error": outcome.error,
                    }
                    for row, _, outcome in results
                ]
            )
            by_status: dict[int | None, list[str]] = {}
            for row, _, outcome in delivered:
                by_status.setdefault(outcome.status_code, []).append(row.id)
            for status_code, ids in by_status.items():
                await repository.delivered(ids, status_code)
            for row, endpoint, outcome in results:
                if not outcome.delivered:
                    reason = await self._failed(repository, row, endpoint, outcome)
                    if reason is not None:
                        disabled.append((endpoint.id, reason))
            healthy = {endpoint.id for _, endpoint, _ in delivered}
            if healthy:  # after the failures: one delivery proves the endpoint works again
                await repository.healthy(healthy)
        DELIVERY_ATTEMPTS.labels("delivered").inc(len(delivered))
        DELIVERY_ATTEMPTS.labels("failed").inc(len(results) - len(delivered))
        if delivered:  # which dispatcher delivered what (tests of two dispatchers read it; off unless DEBUG)
            logger.debug("webhook_delivered", message_ids=[str(row.id) for row, _, _ in delivered])
        for endpoint_id, reason in disabled:
            ENDPOINTS_DISABLED.inc()
            logger.warning("webhook_endpoint_disabled", endpoint_id=str(endpoint_id), reason=reason)
            if self._on_endpoint_disabled is not None:
                await self._on_endpoint_disabled(endpoint_id, reason)

    async def _failed(self, repository: DeliveryRepository, row: Any, endpoint: Any, outcome: Outcome) -> str | None:
        """Schedule the next attempt (or give up); returns why the endpoint is disabled, if it now is."""
        disabled_reason: str | None = None
        failing_since = endpoint.failing_since or dt.datetime.now(dt.UTC)
        if outcome.status_code == 410:
            disabled_reason = "the endpoint answered 410 Gone"
        elif dt.datetime.now(dt.UTC) - failing_since >= DISABLE_AFTER:
            disabled_reason = "failing for 5 days"
        attempts_done = row.attempts
        exhausted = attempts_done > len(self._schedule)
        delay = 0.0 if exhausted else self._schedule[attempts_done - 1] * random.uniform(0.9, 1.1)
        if outcome.retry_after is not None:
            delay = max(delay, min(outcome.retry_after, 86400.0))
        final = exhausted or disabled_reason is not None
        await repository.failed(row.id, outcome.status_code, final=final, delay_seconds=delay)
        await repository.failing(endpoint.id, disabled_reason)
        return disabled_reason

    async def measure_backlog(self) -> tuple[int, float]:
        """Set the backlog gauges: (messages pending for enabled endpoints, age of the oldest in seconds)."""
        async with self._sessionmaker() as session:
            pending, oldest, now = await self._repository(session).backlog()
        age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        schema = self._tables.message.schema or "public"
        BACKLOG_SIZE.labels(schema).set(pending)
        BACKLOG_AGE.labels(schema).set(age)
        return pending, age

    async def run_once(self, http: aiohttp.ClientSession) -> int:
        """Claim, deliver concurrently, record the batch; returns how many attempts were made."""
        claimed = await self.claim()
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self.deliver(http, row, endpoint) for row, endpoint in claimed))
        await self.record_all(
            [(row, endpoint, outcome) for (row, endpoint), outcome in zip(claimed, outcomes, strict=True)]
        )
        return len(claimed)

    async def run(self) -> None:
        """Deliver forever; a failing database or network is logged and retried."""
        wake = asyncio.Event()
        listener = _Listener(self._listen_engine, wake_channel(self._tables), wake)
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as http:
                backlog_due = 0.0
                while True:
                    if time.monotonic() >= backlog_due:
                        backlog_due = time.monotonic() + self._backlog_seconds
                        try:
                            await self.measure_backlog()
                        except asyncio.CancelledError:
                            raise
                        except Exception as exc:  # a gauge is never worth stopping delivery for
                            logger.warning("webhook_backlog_unmeasured", error_type=type(exc).__name__)
                    await listener.ensure()
                    wake.clear()  # before claiming: a NOTIFY during the batch starts the next one at once
                    try:
                        made = await self.run_once(http)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # keep dispatching whatever one batch did
                        logger.warning("webhook_dispatch_failed", error_type=type(exc).__name__)
                        made = 0
                    if made == 0:
                        idle = (
                            self._poll_seconds
                            if listener.listening
                            else min(self._poll_seconds, listener.RETRY_SECONDS)
                        )
                        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
                        # that arrives as the wake-up does, and the dispatcher would never stop
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(idle):
                                await wake.wait()
        finally:
            await listener.close()


class _Listener:
    """One dedicated connection LISTENing on a channel; reopened when lost, polling meanwhile."""

    RETRY_SECONDS = 5.0

    def __init__(self, engine: AsyncEngine, channel: str, wake: asyncio.Event) -> None:
        self._engine = engine
        self._channel = channel
        self._wake = wake
        self._connection: AsyncConnection | None = None
        self._raw: Any = None
        self._next_try = 0.0

    def _notified(self, *_: object) -> None:
        self._wake.set()

    @property
    def listening(self) -> bool:
        return self._raw is not None and not self._raw.is_closed()

    async def ensure(self) -> None:
        """Listen if not listening (a cheap check when all is well; at most one try per 5 s)."""
        if self.listening:
            return
        if time.monotonic() < self._next_try:
            return
        await self.close()
        self._next_try = time.monotonic() + self.RETRY_SECONDS
        try:
            self._connection = await self._engine.connect()
            self._raw = (await self._connection.get_raw_connection()).driver_connection
            await self._raw.add_listener(self._channel, self._notified)
            self._raw.add_termination_listener(self._notified)  # a lost connection wakes the loop to reopen it
        except Exception as exc:
            logger.warning("webhook_listen_unavailable", error_type=type(exc).__name__)
            await self.close()
            return
        self._wake.set()  # anything committed while nobody listened is claimed now

    async def close(self) -> None:
        connection, raw = self._connection, self._raw
        self._connection = self._raw = None
        if raw is not None and not raw.is_closed():
            with contextlib.suppress(Exception):
                await raw.remove_listener(self._channel, self._notified)
        if connection is not None:
            with contextlib.suppress(Exception):
                if raw is not None and raw.is_closed():
                    await connection.invalidate()
                else:
                    await connection.close()


async def redeliver(session: AsyncSession, tables: WebhookTables, message_id: str) -> bool:
    """Queue a message again now (ops or the partner asked); False when there is no such message."""
    return await DeliveryRepository(UnitOfWork(session, None), tables).redeliver(message_id)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
