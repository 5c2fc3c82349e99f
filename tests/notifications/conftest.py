"""The notifications app in process, with the identity app in process behind it (real HTTP semantics
over ASGI), and helpers that feed it events the way its feed consumers do."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from shared.outbox import FeedEvent
from shared.uow import unit_of_work


@dataclass
class Notifications:
    client: httpx.AsyncClient
    app: FastAPI

    async def feed(self, feed: str, event_type: str, payload: dict[str, Any], **fields: Any) -> FeedEvent:
        """Hand one event to the feed handler, in its own transaction, as the consumer does."""
        from notifications.dispatch.service import on_event

        event = FeedEvent(
            seq=fields.get("seq", 1),
            event_id=fields.get("event_id", uuid.uuid4()),
            type=event_type,
            aggregate_type=fields.get("aggregate_type", "service_request"),
            aggregate_id=fields.get("aggregate_id", uuid.uuid4()),
            occurred_at=fields.get("occurred_at", dt.datetime.now(dt.UTC)),
            payload=payload,
        )
        async with unit_of_work(self.app) as uow:
            await on_event(uow, feed, event)
        return event

    async def fan_out(self) -> int:
        from notifications.dispatch.service import fan_out_all

        return await fan_out_all(self.app)

    async def send(self, channel: str) -> int:
        from notifications.delivery.service import send_once

        return await send_once(self.app, channel)


@pytest.fixture(scope="session")
async def notifications(database_url: str) -> AsyncIterator[Notifications]:
    from identity.app import create_app as create_identity
    from identity.settings import Settings as IdentitySettings
    from notifications.app import create_app
    from notifications.settings import Settings

    identity = create_identity(IdentitySettings(database_url=database_url, environment="test"))
    async with LifespanManager(identity) as running_identity:
        app = create_app(
            Settings(
                database_url=database_url,
                environment="test",
                retry_base_seconds=0.01,
                max_attempts=3,
                quiet_start_hour=0,  # no quiet hours, whatever the hour the suite runs at
                quiet_end_hour=0,
            ),
            identity_transport=httpx.ASGITransport(app=running_identity.app),
        )
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
                yield Notifications(client, app)
