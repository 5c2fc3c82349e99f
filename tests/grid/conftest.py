"""Grid fixtures: the grid app in-process, talking to the real registry app in-process."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from shared.auth import Identity, Role
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth, identity, staff


@pytest.fixture(scope="session")
async def registry_service(database_url: str) -> AsyncIterator[FastAPI]:
    """The real registry app, in-process, with its lifespan running."""
    from registry.app import create_app
    from registry.settings import Settings

    app = create_app(Settings(database_url=database_url, environment="test"))
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def registry_client(registry_service: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=registry_service)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
        yield client


@pytest.fixture
def registry(registry_client: httpx.AsyncClient) -> RegistryData:
    """Builds this test's registry data through the registry's API (all tables are emptied after each test)."""
    return RegistryData(registry_client)


def build_grid_app(
    database_url: str,
    registry_transport: httpx.AsyncBaseTransport,
    feed_poll_seconds: float | None = None,
    **storage: Any,
) -> FastAPI:
    """A grid app whose registry client uses `registry_transport` (the real registry app in-process); with
    `feed_poll_seconds` its background consumer polls the registry's feed that often, otherwise the feed is off.

    Its files go to a fresh folder, reached at `http://grid.test` (`storage` overrides: an S3 store)."""
    from grid.app import create_app
    from grid.settings import Settings

    settings = Settings(
        database_url=database_url,
        environment="test",
        registry_feed_enabled=feed_poll_seconds is not None,
        registry_feed_poll_seconds=feed_poll_seconds or 2.0,
        supervision_sweep_enabled=False,
        **(
            {"storage_local_root": tempfile.mkdtemp(prefix="grid-files-"), "storage_public_url": "http://grid.test"}
            | storage
        ),
    )
    return create_app(settings, registry_transport=registry_transport)


@pytest.fixture(scope="session")
async def grid_service(database_url: str, registry_service: FastAPI) -> AsyncIterator[FastAPI]:
    """The grid app with its lifespan running (so tests can reach its state, e.g. the feed consumer)."""
    app = build_grid_app(database_url, httpx.ASGITransport(app=registry_service))
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
def grid_on_registry(grid_service: FastAPI) -> FastAPI:
    """The same grid app, by the name the real-registry tests have always used."""
    return grid_service


@pytest.fixture(scope="session")
async def grid(grid_service: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=grid_service)
    async with httpx.AsyncClient(transport=transport, base_url="http://grid.test") as client:
        yield client


def worker_identity(*grid_ids: uuid.UUID, subject: str | None = None) -> Identity:
    """A grid worker scoped to `grid_ids`."""
    who = identity(Role.grid_worker, grid_ids=list(grid_ids))
    return who.model_copy(update={"subject": subject}) if subject else who


def staff_headers(community_id: uuid.UUID) -> dict[str, str]:
    return auth(staff(community_id))
