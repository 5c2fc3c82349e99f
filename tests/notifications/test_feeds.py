"""The feed consumer against the real service-requests feed (in process): a first start skips the
history, events after it become notifications, and the cursor survives a restart."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from notifications.dispatch.feeds import consumer, skip_history
from notifications.dispatch.service import fan_out_all
from shared.outbox import record_event
from shared.uow import unit_of_work
from tests.notifications.conftest import Notifications


@pytest.fixture
async def requests_service(database_url: str) -> AsyncIterator[FastAPI]:
    from service_requests.app import create_app
    from service_requests.settings import Settings

    app = create_app(Settings(database_url=database_url, environment="test", webhook_dispatcher_enabled=False))
    async with LifespanManager(app):
        yield app


async def resolved_event(app: FastAPI, requester: str) -> None:
    from service_requests.database import platform_tables

    async with app.state.sessionmaker() as session, session.begin():
        payload = {"action": "resolve", "to": "resolved", "requester_subject": requester, "title": "门禁卡补办"}
        await record_event(
            session, platform_tables.outbox_event, "RequestTransitioned", "service_request", uuid.uuid4(), payload
        )


async def test_a_first_start_skips_history_then_reads_on(
    notifications: Notifications, requests_service: FastAPI
) -> None:
    app = notifications.app
    clients = app.state.feed_clients
    before, after = f"old-{uuid.uuid4().hex[:8]}", f"new-{uuid.uuid4().hex[:8]}"
    await resolved_event(requests_service, before)  # history, before the service first read the feed
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=requests_service), base_url="http://requests.test"
    ) as feed:
        app.state.feed_clients = {**clients, "service-requests": feed}
        try:
            start = await skip_history(app, "service-requests")
            assert start is not None and start >= 1
            assert await skip_history(app, "service-requests") is None  # a cursor now: never skipped again
            await resolved_event(requests_service, after)
            reader = consumer(app, "service-requests")
            assert await reader.poll_once() == 1
            assert await reader.position() > start
            assert await reader.poll_once() == 0
        finally:
            app.state.feed_clients = clients
    await fan_out_all(app)
    async with unit_of_work(app) as uow:
        rows = (
            await uow.session.execute(
                text("SELECT recipient FROM notifications.notification WHERE recipient = ANY(:r)"),
                {"r": [before, after]},
            )
        ).all()
    assert [row.recipient for row in rows] == [after]
