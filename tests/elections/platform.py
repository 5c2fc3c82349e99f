"""A platform for elections end-to-end tests and the bench: registry, elections and the gateway.

The shared e2e platform does not tell the elections process where the registry is, so this one
starts the registry first and passes its URL as `ELECTIONS_REGISTRY_URL`.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.harness import FACTORIES, PlatformProcess, platform_env
from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.auth import Identity


@dataclass
class ElectionsPlatform:
    gateway: PlatformProcess
    registry: PlatformProcess
    elections: PlatformProcess
    private_key: Path
    internal_secret: str

    def auth(self, identity: Identity) -> dict[str, str]:
        return {"Authorization": "Bearer " + mint_user_token(identity, self.private_key, ttl_seconds=3600)}


@contextmanager
def elections_platform(database_url: str, *, rate_limit: str = "100000/second") -> Iterator[ElectionsPlatform]:
    """Start registry, elections and gateway on free loopback ports; stop them on exit."""
    keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="elections-keys-")))
    secret = secrets.token_urlsafe(48)
    base = platform_env(database_url, secret=secret, public_key=keys.public_key)
    registry = PlatformProcess("registry", FACTORIES["registry"], base)
    elections = PlatformProcess(
        "elections",
        FACTORIES["elections"],
        base
        | {"ELECTIONS_REGISTRY_URL": registry.url, "ELECTIONS_DB_POOL_SIZE": "30", "ELECTIONS_DB_MAX_OVERFLOW": "40"},
    )
    gateway = PlatformProcess(
        "gateway",
        FACTORIES["gateway"],
        platform_env(
            database_url,
            secret=secret,
            public_key=keys.public_key,
            upstreams={"registry": registry.url, "elections": elections.url},
            extra={"GATEWAY_RATE_LIMIT": rate_limit, "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "30"},
        ),
    )
    started: list[PlatformProcess] = []
    try:
        for process in (registry, elections, gateway):
            process.start()
            started.append(process)
        yield ElectionsPlatform(gateway, registry, elections, keys.private_key, secret)
    finally:
        for process in reversed(started):
            process.stop()
