"""Grid fixtures: the grid app in-process, talking to an in-memory registry that follows the contract."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from shared.auth import Identity, Role
from tests.grid.fake_registry import FakeRegistry
from tests.support.identities import auth, identity, staff


@pytest.fixture(scope="session")
def fake_registry_state() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def registry(fake_registry_state: FakeRegistry) -> FakeRegistry:
    """The registry's data for this test (emptied before each test)."""
    fake_registry_state.reset()
    return fake_registry_state


def build_grid_app(database_url: str, fake: FakeRegistry) -> FastAPI:
    from grid.app import create_app
    from grid.settings import Settings

    settings = Settings(
        database_url=database_url, environment="test", registry_feed_enabled=False, supervision_sweep_enabled=False
    )
    return create_app(settings, registry_transport=httpx.ASGITransport(app=fake.app()))


@pytest.fixture(scope="session")
async def grid_service(database_url: str, fake_registry_state: FakeRegistry) -> AsyncIterator[FastAPI]:
    """The grid app with its lifespan running (so tests can reach its state, e.g. the feed consumer)."""
    app = build_grid_app(database_url, fake_registry_state)
    async with LifespanManager(app):
        yield app


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


@pytest.fixture(scope="session")
async def registry_service(database_url: str) -> AsyncIterator[FastAPI]:
    """The real registry app, in-process, with its lifespan running."""
    from registry.app import create_app
    from registry.settings import Settings

    app = create_app(Settings(database_url=database_url, environment="test"))
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def grid_on_registry(database_url: str, registry_service: FastAPI) -> AsyncIterator[FastAPI]:
    """A grid app whose registry client talks to the real registry app."""
    from grid.app import create_app
    from grid.settings import Settings

    settings = Settings(
        database_url=database_url, environment="test", registry_feed_enabled=False, supervision_sweep_enabled=False
    )
    app = create_app(settings, registry_transport=httpx.ASGITransport(app=registry_service))
    async with LifespanManager(app):
        yield app
