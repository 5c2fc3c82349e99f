"""The registry's event feed, consumed durably: a transferred building leaves its old grid."""

from __future__ import annotations

import datetime as dt
import uuid

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from grid.database import platform_tables
from grid.grids.repository import AssignmentRepository
from grid.registry.client import RegistryClient
from shared.outbox import FeedConsumer, FeedEvent
from shared.uow import UnitOfWork

SOURCE = "registry"
logger = structlog.get_logger("grid.registry.feed")


async def handle_registry_event(session: AsyncSession, event: FeedEvent) -> None:
    """Apply one registry event; safe to run twice (the cursor moves in the same transaction, which is
    the feed consumer's session: this job's unit of work)."""
    uow = UnitOfWork(session, None)
    if event.type != "BuildingTransferred":
        return
    payload = event.payload
    building_id = uuid.UUID(str(payload["building_id"]))
    from_community = uuid.UUID(str(payload["from_community_id"]))
    effective_on = dt.date.fromisoformat(str(payload["effective_on"]))
    changed = await uow.repository(AssignmentRepository).end_for_building(
        building_id, from_community, effective_on, "building transferred"
    )
    logger.info("building_transferred", building_id=str(building_id), assignments_ended=changed)


def registry_feed_consumer(app: FastAPI) -> FeedConsumer:
    """The consumer of the registry feed for this app (cursor row `registry` in `feed_cursor`)."""
    registry: RegistryClient = app.state.registry
    return FeedConsumer(
        source=SOURCE,
        client=registry.http,
        consumer_name="grid",
        secret=app.state.settings.internal_token_secret.get_secret_value(),
        cursor_table=platform_tables.feed_cursor,
        sessionmaker=app.state.sessionmaker,
        handler=handle_registry_event,
        poll_seconds=app.state.settings.registry_feed_poll_seconds,
    )


async def consume_registry_feed(app: FastAPI) -> None:
    """Background task started in lifespan: poll the registry feed forever."""
    await registry_feed_consumer(app).run()
