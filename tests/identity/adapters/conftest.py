"""The three fakes, each a real uvicorn process for the whole run, reset before every test.

The adapters hold no database state, so these tests replace the suite's per-test database
clean-up with nothing: they never start PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.fakes import FakeServer, start_fake, stop_fake


@pytest.fixture(autouse=True)
def clean_database() -> None:
    """No database here (overrides the suite's autouse fixture of the same name)."""


def _running(name: str) -> Iterator[FakeServer]:
    server = start_fake(name)
    try:
        yield server
    finally:
        stop_fake(server)


@pytest.fixture(scope="session")
def wechat_server() -> Iterator[FakeServer]:
    yield from _running("fake_wechat")


@pytest.fixture(scope="session")
def sms_server() -> Iterator[FakeServer]:
    yield from _running("fake_sms")


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[FakeServer]:
    yield from _running("fake_oidc")


@pytest.fixture
def wechat(wechat_server: FakeServer) -> str:
    wechat_server.reset()
    return wechat_server.url


@pytest.fixture
def sms(sms_server: FakeServer) -> str:
    sms_server.reset()
    return sms_server.url


@pytest.fixture
def oidc(oidc_server: FakeServer) -> str:
    oidc_server.reset()
    return oidc_server.url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The outbound client an adapter is given (the service makes one per process)."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client
