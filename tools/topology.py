"""Which processes make up the platform, on which loopback ports, and how to start each one."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Process:
    name: str
    factory: str
    default_port: int

    @property
    def port(self) -> int:
        return int(os.environ.get(f"{self.name.upper().replace('-', '_')}_PORT", self.default_port))

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self, port: int | None = None) -> list[str]:
        return uvicorn_command(self.factory, port or self.port)


# One event loop and HTTP implementation everywhere (the benchmarks start processes the same way).
# Sending each response's headers and body in one write instead of two was tried (a transport
# wrapper): no measurable change in the gateway's CPU per request, so it is not here.
UVICORN_OPTIONS = ("--no-access-log", "--loop", "uvloop", "--http", "httptools")


def uvicorn_command(factory: str, port: int) -> list[str]:
    """The command line of one platform process on loopback."""
    return [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", HOST, "--port", str(port)] + list(
        UVICORN_OPTIONS
    )


REGISTRY = Process("registry", "registry.app:create_app", 8101)
SERVICES = (
    REGISTRY,
    Process("service-requests", "service_requests.app:create_app", 8102),
    Process("elections", "elections.app:create_app", 8103),
    Process("grid", "grid.app:create_app", 8104),
    IDENTITY := Process("identity", "identity.app:create_app", 8105),
    Process("notifications", "notifications.app:create_app", 8106),
)
GATEWAY = Process("gateway", "gateway.app:create_app", 8000)

# Stand-ins for the third parties we cannot run (tools/fake_*.py), for development only: the
# identity service's development settings point at these ports, production refuses them.
FAKES = (
    Process("fake-wechat", "tools.fake_wechat:create_app", 8091),
    Process("fake-sms", "tools.fake_sms:create_app", 8092),
    Process("fake-oidc", "tools.fake_oidc:create_app", 8093),
)

# Services that call the registry read its URL from `<PREFIX>_REGISTRY_URL`.
REGISTRY_CONSUMERS = ("ELECTIONS", "GRID", "IDENTITY", "NOTIFICATIONS", "REQUESTS")


def notifications_urls(urls: dict[str, str]) -> dict[str, str]:
    """Where the notifications service reads its feeds and reaches the identity service."""
    names = {"service-requests": "SERVICE_REQUESTS", "elections": "ELECTIONS", "grid": "GRID", "identity": "IDENTITY"}
    return {f"NOTIFICATIONS_{key}_URL": urls[name] for name, key in names.items() if name in urls}
