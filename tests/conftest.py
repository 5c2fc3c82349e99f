"""Fixtures: one migrated database per run, in-process service clients, a clean slate per test."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from tests.support.database import create_test_database, drop_test_database, migrate, truncate_all
from tools.devdb import stop_embedded

pytest_plugins = ["tests.support.redis_server"]  # the `redis_url` fixture, for any test

# The suite builds many apps in one process; frozen heaps would keep every one of them alive.
os.environ["PLATFORM_GC_TUNING"] = "false"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A freshly migrated database for this run (embedded PostgreSQL unless DATABASE_URL is set)."""
    url = asyncio.run(create_test_database())
    try:
        migrate(url)
        os.environ["TEST_DATABASE_URL"] = url
        yield url
    finally:
        asyncio.run(drop_test_database(url))
        stop_embedded()


@pytest.fixture(autouse=True)
async def clean_database(database_url: str) -> AsyncIterator[None]:
    """Every test starts from empty service tables."""
    yield
    await truncate_all(database_url)


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
            yield client


@pytest.fixture(scope="session")
async def registry_app(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from registry.app import create_app
    from registry.settings import Settings

    async for client in _client(create_app(Settings(database_url=database_url, environment="test"))):
        yield client


@pytest.fixture(scope="session")
async def requests_app(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from service_requests.app import create_app
    from service_requests.settings import Settings

    # Webhook delivery is tested with dispatchers the tests start themselves (tests/partners).
    # Its registry-feed handler is driven by the test that needs it (service_requests/test_brands_and_starter.py).
    settings = Settings(
        database_url=database_url,
        environment="test",
        webhook_dispatcher_enabled=False,
        registry_feed_enabled=False,
        storage_local_root=tempfile.mkdtemp(prefix="request-files-"),  # signed links at the test client's host
        storage_public_url="http://service.test",
    )
    async for client in _client(create_app(settings)):
        yield client


@pytest.fixture(scope="session")
async def elections_app(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from elections.app import create_app
    from elections.settings import Settings

    async for client in _client(create_app(Settings(database_url=database_url, environment="test"))):
        yield client


@pytest.fixture(scope="session")
async def grid_app(database_url: str, registry_app: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The grid app asking the registry app in process (the residents' routes ask it before anything)."""
    from grid.app import create_app
    from grid.settings import Settings

    registry = registry_app._transport  # the in-process registry's ASGI transport
    assert isinstance(registry, httpx.AsyncBaseTransport)
    app = create_app(Settings(database_url=database_url, environment="test"), registry_transport=registry)
    async for client in _client(app):
        yield client


@pytest.fixture(scope="session")
async def identity_app(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from identity.app import create_app
    from identity.settings import Settings

    async for client in _client(create_app(Settings(database_url=database_url, environment="test"))):
        yield client


@pytest.fixture(scope="session")
async def notifications_app(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from notifications.app import create_app
    from notifications.settings import Settings

    async for client in _client(create_app(Settings(database_url=database_url, environment="test"))):
        yield client
