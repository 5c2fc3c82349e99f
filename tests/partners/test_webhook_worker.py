"""The standalone webhook worker and the `REQUESTS_WEBHOOK_*` settings it shares with the lifespan task."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import uuid

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import insert, select

from service_requests.database import webhook_tables
from service_requests.settings import Settings
from service_requests.webhooks.delivery import RETRY_SCHEDULE, Outcome
from service_requests.webhooks.dispatch import build_dispatcher
from service_requests.webhooks.signing import new_secret
from shared.db import create_engine, create_sessionmaker
from tests.support.harness import free_port
from tools.devdb import ROOT


def test_the_retry_schedule_is_comma_separated_seconds_defaulting_to_the_spec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(database_url="postgresql://x/y").webhook_retry_schedule == RETRY_SCHEDULE
    monkeypatch.setenv("REQUESTS_WEBHOOK_RETRY_SCHEDULE", "0, 1,1,2.5")
    assert Settings(database_url="postgresql://x/y").webhook_retry_schedule == (0, 1, 1, 2.5)
    monkeypatch.setenv("REQUESTS_WEBHOOK_RETRY_SCHEDULE", "5,-1")
    with pytest.raises(ValidationError):
        Settings(database_url="postgresql://x/y")


async def test_the_dispatcher_waits_as_the_configured_schedule_says_then_gives_up(database_url: str) -> None:
    settings = Settings(database_url=database_url, environment="test", webhook_retry_schedule="1000,2000")
    engine = create_engine(settings.async_database_url, pool_size=1, max_overflow=0)
    message, endpoint = webhook_tables.message, webhook_tables.endpoint
    try:
        sessionmaker = create_sessionmaker(engine)
        dispatcher = build_dispatcher(settings, sessionmaker)
        endpoint_id, message_id = uuid.uuid4(), f"msg_{uuid.uuid4().hex}"
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)  # never due for another dispatcher
        async with sessionmaker() as session, session.begin():
            await session.execute(
                insert(endpoint).values(
                    id=endpoint_id, owner_id=uuid.uuid4(), url="https://partner.example/hook", secret=new_secret()
                )
            )
            await session.execute(
                insert(message).values(
                    id=message_id,
                    endpoint_id=endpoint_id,
                    event_type="RequestRouted",
                    payload=b"{}",
                    next_attempt_at=later,
                )
            )
            endpoint_row = (await session.execute(select(endpoint).where(endpoint.c.id == endpoint_id))).one()
        refused = Outcome(status_code=503, duration_ms=3, excerpt="busy", error=None, retry_after=None)

        async def after_attempt(number: int) -> tuple[str, float]:
            attempt = type("Leased", (), {"id": message_id, "attempts": number})()
            await dispatcher.record(attempt, endpoint_row, refused)
            async with sessionmaker() as session:
                row = (await session.execute(select(message).where(message.c.id == message_id))).one()
            return row.status, (row.next_attempt_at - dt.datetime.now(dt.UTC)).total_seconds()

        status, wait = await after_attempt(1)
        assert status == "pending" and 900 <= wait <= 1100  # 1000 s ± 10 % jitter
        status, wait = await after_attempt(2)
        assert status == "pending" and 1800 <= wait <= 2200
        status, _ = await after_attempt(3)
        assert status == "failed"  # the schedule is used up
    finally:
        await engine.dispose()


async def test_the_worker_runs_until_sigterm_and_then_exits_cleanly(database_url: str) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PLATFORM_ENV": "test", "REQUESTS_LOG_LEVEL": "INFO"}
    env["REQUESTS_WEBHOOK_WORKER_METRICS_PORT"] = str(port)
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service_requests.webhooks.worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert worker.stdout is not None
    try:
        started = await asyncio.wait_for(worker.stdout.readline(), 30)
        assert b"webhook_worker_started" in started, started
        async with httpx.AsyncClient() as client:
            metrics = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert metrics.status_code == 200 and "webhook_delivery_attempts_total" in metrics.text
        await asyncio.sleep(0.5)  # a few idle polls
        worker.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(worker.communicate(), 10)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert worker.returncode == 0, rest
    assert b"webhook_worker_stopped" in rest
