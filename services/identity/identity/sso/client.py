"""The OIDC relying party as a long-lived resource: one `OidcClient` and its HTTP client per process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from identity.adapters.oidc import OidcClient
from identity.settings import Settings


def oidc_client(app: FastAPI) -> contextlib.AbstractAsyncContextManager[None]:
    """Publishes `app.state.oidc_client` (None when `IDENTITY_OIDC_ISSUER` is empty: SSO off).

    The discovery document and key set it caches live as long as the process."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        if not settings.oidc_issuer:
            app.state.oidc_client = None
            yield
            return
        timeout = httpx.Timeout(settings.oidc_timeout_seconds, connect=min(5.0, settings.oidc_timeout_seconds))
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            app.state.oidc_client = OidcClient(
                http,
                issuer=settings.oidc_issuer,
                client_id=settings.oidc_client_id,
                client_secret=settings.oidc_client_secret.get_secret_value(),
            )
            try:
                yield
            finally:
                app.state.oidc_client = None

    return opened()
