"""Calls from one service to another: an httpx client made once in lifespan, a service identity."""

from __future__ import annotations

import httpx

from shared.auth import IDENTITY_HEADER, Identity, Role, mint_internal_token


def service_client(
    base_url: str, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An httpx client for low-rate calls to another service; tests pass an ASGITransport."""
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)


def service_headers(service_name: str, secret: str) -> dict[str, str]:
    """The identity header for `service:<name>` calling another service."""
    identity = Identity(subject=f"service:{service_name}", roles=frozenset({Role.service}))
    return {IDENTITY_HEADER: mint_internal_token(identity, secret)}
