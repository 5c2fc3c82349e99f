"""A service-requests app that allows loopback webhook URLs and dispatches quickly, plus partner identities."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from shared.auth import Identity, Role
from tests.support.identities import identity


def partner(kind: str = "bank", partner_id: uuid.UUID | None = None) -> Identity:
    return identity(Role.partner, partner_id=partner_id or uuid.uuid4(), partner_kind=kind)


@pytest.fixture(scope="session")
async def partner_requests_app(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from service_requests.app import create_app
    from service_requests.settings import Settings

    settings = Settings(
        database_url=database_url,
        environment="test",
        webhooks_allow_private=True,
        webhook_dispatcher_enabled=True,
        job_interval_seconds=0,
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
            yield client
