"""The real platform for end-to-end tests: four services and the gateway as uvicorn processes.

`platform` starts them once per test session on free loopback ports against the test
database, and stops them at the end. Other areas' e2e tests may use it:

    async def test_something(platform: RunningPlatform) -> None:
        async with platform.client() as client:
            response = await client.get("/v1/communities/about", headers=platform.auth(admin()))

`platform.stop_service("grid")` / `platform.start_service("grid")` stop and restart one service
on the same port (restart it in a `finally`, the platform is shared by the whole session).
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench.harness import FACTORIES, SERVICE_NAMES, PlatformProcess, platform_env, registry_urls
from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.auth import Identity

E2E_RATE_LIMIT = "200/minute"


@dataclass
class RunningPlatform:
    gateway: PlatformProcess
    services: dict[str, PlatformProcess]
    private_key: Path
    internal_secret: str

    @property
    def gateway_url(self) -> str:
        return self.gateway.url

    def service_url(self, name: str) -> str:
        return self.services[name].url

    def token(self, identity: Identity, ttl_seconds: int = 600) -> str:
        """A user JWT for `identity`, signed with this platform's dev key."""
        return mint_user_token(identity, self.private_key, ttl_seconds=ttl_seconds)

    def auth(self, identity: Identity) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(identity)}"}

    def client(self, timeout: float = 15.0) -> httpx.AsyncClient:
        """An HTTP client for the gateway over loopback."""
        return httpx.AsyncClient(base_url=self.gateway_url, timeout=timeout)

    def stop_service(self, name: str) -> None:
        self.services[name].stop()

    def start_service(self, name: str) -> None:
        self.services[name].start()


@pytest.fixture(scope="session")
def platform(database_url: str) -> Iterator[RunningPlatform]:
    """Four services and the gateway, started once per session, stopped at the end."""
    keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="platform-keys-")))
    secret = secrets.token_urlsafe(48)
    base = platform_env(database_url, secret=secret, public_key=keys.public_key)
    services = {name: PlatformProcess(name, FACTORIES[name], base) for name in SERVICE_NAMES}
    base.update(registry_urls(services["registry"].url))  # ports are known once the processes exist
    # These processes share the test database with in-process webhook tests for the whole session;
    # their own dispatcher would take those tests' messages.
    base["REQUESTS_WEBHOOK_DISPATCHER_ENABLED"] = "false"
    gateway_env = platform_env(
        database_url,
        secret=secret,
        public_key=keys.public_key,
        upstreams={name: process.url for name, process in services.items()},
        extra={
            "GATEWAY_RATE_LIMIT": E2E_RATE_LIMIT,
            "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "5",
            "GATEWAY_BREAKER_OPEN_SECONDS": "1",
            "GATEWAY_BREAKER_FAILURE_THRESHOLD": "3",
        },
    )
    gateway = PlatformProcess("gateway", FACTORIES["gateway"], gateway_env)
    started: list[PlatformProcess] = []
    try:
        for process in (*services.values(), gateway):
            process.start()
            started.append(process)
        yield RunningPlatform(gateway, services, keys.private_key, secret)
    finally:
        for process in reversed(started):
            process.stop()
