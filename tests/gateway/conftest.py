"""The gateway in process (httpx over ASGITransport, lifespan run), upstreams pointing at closed ports."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway.app import create_app
from gateway.devkeys import DevKeys, ensure_dev_keys
from gateway.settings import Settings
from gateway.tokens import mint_user_token
from shared.auth import Identity
from tests.support.harness import SERVICE_NAMES, free_port
from tests.support.identities import TEST_SECRET


@dataclass
class InProcessGateway:
    client: httpx.AsyncClient
    keys: DevKeys
    settings: Settings

    def auth(self, identity: Identity) -> dict[str, str]:
        return {"Authorization": "Bearer " + mint_user_token(identity, self.keys.private_key)}


@pytest.fixture(scope="session")
def gateway_keys() -> DevKeys:
    return ensure_dev_keys(Path(tempfile.mkdtemp(prefix="gateway-keys-")))


@pytest.fixture(scope="session")
async def gateway(database_url: str, gateway_keys: DevKeys) -> AsyncIterator[InProcessGateway]:
    settings = Settings(
        database_url=database_url,
        environment="test",
        internal_token_secret=TEST_SECRET,
        jwt_public_key_file=gateway_keys.public_key,
        upstreams={name: f"http://127.0.0.1:{free_port()}" for name in SERVICE_NAMES},
        breaker_failure_threshold=2,
        breaker_open_seconds=30,
        openapi_retry_seconds=0,
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield InProcessGateway(client, gateway_keys, settings)
