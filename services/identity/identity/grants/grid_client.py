"""The grid service as the grants see it: which community a grid belongs to, and who is on duty there."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from identity.grants.exceptions import GridNotFound, GridServiceUnavailable
from identity.settings import Settings
from shared.clients import service_client, service_headers

SERVICE_NAME = "identity"


class GridDirectory:
    """`GET /internal/grids/{id}` on the grid service, with the service identity."""

    def __init__(self, client: httpx.AsyncClient, secret: str) -> None:
        self._client = client
        self._secret = secret

    async def community_of(self, grid_id: uuid.UUID) -> uuid.UUID:
        """The grid's community; 404 GRID_NOT_FOUND for an unknown grid, 503 when the grid service fails."""
        return uuid.UUID(str((await self._reference(grid_id))["community_id"]))

    async def on_duty(self, grid_id: uuid.UUID, account_id: uuid.UUID) -> bool:
        """Whether the grid service has the account's worker on duty in the grid (now or from a later day)."""
        return bool((await self._reference(grid_id, {"user_subject": str(account_id)}))["worker_on_duty"])

    async def _reference(self, grid_id: uuid.UUID, params: dict[str, str] | None = None) -> dict[str, object]:
        try:
            response = await self._client.get(
                f"/internal/grids/{grid_id}", params=params, headers=service_headers(SERVICE_NAME, self._secret)
            )
        except httpx.HTTPError as exc:
            raise GridServiceUnavailable() from exc
        if response.status_code == 404:
            raise GridNotFound()
        if response.status_code != 200:
            raise GridServiceUnavailable()
        reference: dict[str, object] = response.json()
        return reference


def grid_directory(app: FastAPI) -> contextlib.AbstractAsyncContextManager[None]:
    """The long-lived resource: one client to the grid service, published as `app.state.grid_directory`."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        async with service_client(settings.grid_url, settings.grid_timeout_seconds) as client:
            app.state.grid_directory = GridDirectory(client, settings.internal_token_secret.get_secret_value())
            yield

    return opened()
