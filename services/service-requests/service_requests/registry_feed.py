"""The registry's event feed: a community registered with `starter_catalogue` gets the starter
catalogue (catalogue/template.py), applied once however often the event is read."""

from __future__ import annotations

import uuid

import httpx
import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from service_requests.catalogue import service as catalogue
from service_requests.catalogue.schemas import StarterCatalogueIn
from service_requests.database import platform_tables
from shared.auth import Identity, Role
from shared.outbox import FeedConsumer, FeedEvent
from shared.uow import UnitOfWork

SOURCE = "registry"
# The registry let a platform admin create the community and ask for the catalogue; this acts on that.
OPERATOR = Identity(subject="service:service-requests", roles=frozenset({Role.platform_admin}))
logger = structlog.get_logger("service_requests.registry_feed")


async def handle_registry_event(session: AsyncSession, event: FeedEvent) -> None:
    """Apply one registry event in the consumer's transaction (the cursor moves with it); safe twice."""
    if event.type != "CommunityRegistered" or not isinstance(event.payload.get("starter_catalogue"), dict):
        return
    choice = event.payload["starter_catalogue"]
    body = StarterCatalogueIn(
        community_id=uuid.UUID(str(event.payload["community_id"])),
        bank_partner_id=choice.get("bank_partner_id"),
        mcn_partner_id=choice.get("mcn_partner_id"),
    )
    applied = await catalogue.apply_starter(UnitOfWork(session, None), OPERATOR, body)
    logger.info("starter_catalogue_applied", community_id=str(body.community_id), created=len(applied.created))


async def consume_registry_feed(app: FastAPI) -> None:
    """Background task started in lifespan: poll the registry feed forever (cursor row `registry`)."""
    settings = app.state.settings
    async with httpx.AsyncClient(base_url=settings.registry_url, timeout=10.0) as client:
        await FeedConsumer(
            source=SOURCE,
            client=client,
            consumer_name="service-requests",
            secret=settings.internal_token_secret.get_secret_value(),
            cursor_table=platform_tables.feed_cursor,
            sessionmaker=app.state.sessionmaker,
            handler=handle_registry_event,
            poll_seconds=settings.registry_feed_poll_seconds,
        ).run()
