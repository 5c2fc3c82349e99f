"""The grid's domain events: written to its outbox in the change's transaction, served at `/internal/events`."""

from __future__ import annotations

import uuid
from typing import Any

from grid.database import platform_tables
from shared.outbox import record_event
from shared.uow import UnitOfWork


async def emit(
    uow: UnitOfWork, event_type: str, aggregate_type: str, aggregate_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Write a domain event to the grid outbox in the unit of work's transaction."""
    await record_event(uow.session, platform_tables.outbox_event, event_type, aggregate_type, aggregate_id, payload)
