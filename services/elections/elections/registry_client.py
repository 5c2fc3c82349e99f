"""The registry as the elections service sees it: the roll endpoint and the event feed."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from elections.database import platform_tables
from elections.election.exceptions import RegistryUnavailable
from elections.election.roll import on_registry_event
from elections.settings import Settings
from shared.clients import service_client, service_headers
from shared.i18n import Text
from shared.outbox import FeedConsumer

SERVICE_NAME = "elections"


class RegistryRoll:
    """Fetches `GET /internal/communities/{id}/roll?as_of=` with the service identity."""

    def __init__(self, client: httpx.AsyncClient, secret: str) -> None:
        self._client = client
        self._secret = secret

    async def __call__(self, community_id: uuid.UUID, as_of: dt.date) -> list[dict[str, Any]]:
        try:
            response = await self._client.get(
                f"/internal/communities/{community_id}/roll",
                params={"as_of": as_of.isoformat()},
                headers=service_headers(SERVICE_NAME, self._secret),
            )
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(
                Text("无法从登记服务获取选民名册", "Could not fetch the roll from the registry")
            ) from exc
        if response.status_code != 200:
            raise RegistryUnavailable(
                Text("登记服务拒绝了名册请求", f"The registry answered {response.status_code} for the roll")
            )
        seen: set[str] = set()
        items: list[dict[str, Any]] = []
        for item in response.json()["items"]:
            if item["uscc"] in seen:  # the contract promises one entry per USCC; keep it so
                continue
            seen.add(item["uscc"])
            items.append(
                {
                    "enterprise_id": uuid.UUID(str(item["enterprise_id"])),
                    "uscc": item["uscc"],
                    "name": item["name"],
                    "representative_subject": item.get("representative_subject"),
                }
            )
        return items


def registry_client(
    app: FastAPI, transport: httpx.AsyncBaseTransport | None = None
) -> contextlib.AbstractAsyncContextManager[None]:
    """The app resource: `app.state.registry_client` (the feed uses it) and `app.state.registry_roll`
    (the roll freeze), open for the app's lifetime."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        async with service_client(settings.registry_url, transport=transport) as client:
            app.state.registry_client = client
            app.state.registry_roll = RegistryRoll(client, settings.internal_token_secret.get_secret_value())
            yield

    return opened()


def feed_consumer(app: FastAPI, client: httpx.AsyncClient, settings: Settings) -> FeedConsumer:
    """The durable consumer of the registry's feed (deregistrations, representative changes)."""
    return FeedConsumer.of_app(
        app,
        source="registry",
        client=client,
        consumer_name=SERVICE_NAME,
        secret=settings.internal_token_secret.get_secret_value(),
        cursor_table=platform_tables.feed_cursor,
        on_event=on_registry_event,
        poll_seconds=settings.registry_feed_poll_seconds,
    )


async def registry_feed(app: FastAPI) -> None:
    """The background task: the registry's feed on the resource's client, when enabled (tests poll by hand)."""
    settings: Settings = app.state.settings
    if settings.consume_registry_feed:
        await feed_consumer(app, app.state.registry_client, settings).run()
