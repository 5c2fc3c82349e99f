"""The feeds this service reads, one consumer each, and the fan-out worker (background tasks)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import structlog
from fastapi import FastAPI

from notifications.database import platform_tables
from notifications.dispatch.repository import FeedCursorRepository
from notifications.dispatch.service import fan_out_once, on_event
from notifications.metrics import FEED_LAG, FEED_POSITION
from notifications.rules import FEEDS
from notifications.settings import Settings
from shared.clients import service_client, service_headers
from shared.outbox import EventFeed, FeedConsumer, FeedEvent
from shared.uow import UnitOfWork

logger = structlog.get_logger("notifications.feeds")


def feed_urls(settings: Settings) -> dict[str, str]:
    urls = {
        "registry": settings.registry_url,
        "service-requests": settings.service_requests_url,
        "elections": settings.elections_url,
        "grid": settings.grid_url,
        "identity": settings.identity_url,
    }
    return {feed: urls[feed] for feed in FEEDS if not settings.feeds or feed in settings.feeds}


def feed_clients(app: FastAPI) -> contextlib.AbstractAsyncContextManager[None]:
    """The app resource: `app.state.feed_clients`, one HTTP client per source service."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        transports: dict[str, httpx.AsyncBaseTransport] = getattr(app.state, "feed_transports", {})
        async with contextlib.AsyncExitStack() as stack:
            app.state.feed_clients = {
                feed: await stack.enter_async_context(service_client(url, transport=transports.get(feed)))
                for feed, url in feed_urls(settings).items()
            }
            yield

    return opened()


def consumer(app: Any, feed: str) -> FeedConsumer:
    settings: Settings = app.state.settings

    async def handle(uow: UnitOfWork, event: FeedEvent) -> None:
        await on_event(uow, feed, event)
        FEED_LAG.labels(feed).set(max(0.0, (dt.datetime.now(dt.UTC) - event.occurred_at).total_seconds()))
        FEED_POSITION.labels(feed).set(event.seq)

    return FeedConsumer.of_app(
        app,
        source=feed,
        client=app.state.feed_clients[feed],
        consumer_name="notifications",
        cursor_table=platform_tables.feed_cursor,
        on_event=handle,
        poll_seconds=settings.feed_poll_seconds,
    )


async def skip_history(app: Any, feed: str) -> int | None:
    """A feed read for the first time starts at its end: a new deployment tells people about what
    happens from now on, not about every event since the platform began. Returns the position it
    starts from, or None when the feed already has a cursor."""
    settings: Settings = app.state.settings
    async with app.state.sessionmaker() as session:
        if await FeedCursorRepository(UnitOfWork(session, app)).position(feed) is not None:
            return None
    client: httpx.AsyncClient = app.state.feed_clients[feed]
    headers = service_headers("notifications", settings.internal_token_secret.get_secret_value())
    position = 0
    while True:
        response = await client.get("/internal/events", params={"after": position, "limit": 1000}, headers=headers)
        response.raise_for_status()
        page = EventFeed.model_validate(response.json())
        if not page.items:
            break
        position = page.last_seq
    async with app.state.sessionmaker() as session, session.begin():
        await FeedCursorRepository(UnitOfWork(session, app)).start_at(feed, position)
    logger.info("feed_started_at_head", feed=feed, position=position)
    return position


async def _consume(app: FastAPI, feed: str) -> None:
    settings: Settings = app.state.settings
    reader = consumer(app, feed)
    while settings.feed_start == "latest":  # until the source answers: never from its start by accident
        try:
            await skip_history(app, feed)
            break
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("feed_head_unknown", feed=feed, error_type=type(exc).__name__)
            await asyncio.sleep(max(1.0, settings.feed_poll_seconds))
    while True:
        try:
            handled = await reader.poll_once()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a source that is down must not stop the others
            logger.warning("feed_poll_failed", feed=feed, error_type=type(exc).__name__)
            handled = 0
        if handled == 0:
            FEED_LAG.labels(feed).set(0)
            await asyncio.sleep(settings.feed_poll_seconds)


async def feeds(app: FastAPI) -> None:
    """The background task: every feed, each in its own loop."""
    settings: Settings = app.state.settings
    if settings.run_workers:
        await asyncio.gather(*(_consume(app, feed) for feed in app.state.feed_clients))


async def fan_out(app: FastAPI) -> None:
    """The background task: `fanout_workers` loops writing dispatches out, page by page. Each takes
    the dispatch whose turn it is and skips those another loop holds, so a big fan-out occupies one
    loop and new events go through the others."""
    settings: Settings = app.state.settings
    if settings.run_workers:
        await asyncio.gather(*(_fan_out_loop(app) for _ in range(settings.fanout_workers)))


async def _fan_out_loop(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    while True:
        try:
            busy = await fan_out_once(app)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("fan_out_failed", error_type=type(exc).__name__)
            busy = False
        if not busy:
            await asyncio.sleep(settings.dispatch_poll_seconds)
