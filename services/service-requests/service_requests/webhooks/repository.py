"""SQL of the webhook endpoints domain (tables from `webhooks/tables.py`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update

from service_requests.database import webhook_tables
from service_requests.webhooks.delivery_repository import DeliveryRepository
from shared.uow import Repository


class WebhookRepository(Repository):
    async def create(self, owner_id: uuid.UUID, values: dict[str, Any]) -> Any:
        endpoint = webhook_tables.endpoint
        statement = insert(endpoint).values(id=uuid.uuid4(), owner_id=owner_id, **values).returning(endpoint)
        return (await self.session.execute(statement)).one()

    async def get(self, owner_id: uuid.UUID, endpoint_id: uuid.UUID, *, for_update: bool = False) -> Any | None:
        endpoint = webhook_tables.endpoint
        statement = select(endpoint).where(endpoint.c.id == endpoint_id, endpoint.c.owner_id == owner_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).first()

    async def list(self, owner_id: uuid.UUID) -> Sequence[Any]:
        endpoint = webhook_tables.endpoint
        statement = select(endpoint).where(endpoint.c.owner_id == owner_id).order_by(endpoint.c.created_at)
        return (await self.session.execute(statement)).all()

    async def update(self, endpoint_id: uuid.UUID, values: dict[str, Any]) -> Any:
        endpoint = webhook_tables.endpoint
        statement = (
            update(endpoint)
            .where(endpoint.c.id == endpoint_id)
            .values(version=endpoint.c.version + 1, updated_at=func.now(), **values)
            .returning(endpoint)
        )
        return (await self.session.execute(statement)).one()

    async def messages(self, endpoint_id: uuid.UUID, limit: int) -> Sequence[Any]:
        message = webhook_tables.message
        statement = (
            select(message)
            .where(message.c.endpoint_id == endpoint_id)
            .order_by(message.c.created_at.desc(), message.c.id)
            .limit(limit)
        )
        return (await self.session.execute(statement)).all()

    async def attempts(self, message_ids: Sequence[str]) -> Sequence[Any]:
        attempt = webhook_tables.attempt
        statement = select(attempt).where(attempt.c.message_id.in_(message_ids)).order_by(attempt.c.attempted_at)
        return (await self.session.execute(statement)).all()

    async def message_of(self, endpoint_id: uuid.UUID, message_id: str) -> Any | None:
        message = webhook_tables.message
        statement = select(message.c.id).where(message.c.id == message_id, message.c.endpoint_id == endpoint_id)
        return (await self.session.execute(statement)).first()

    async def redeliver(self, message_id: str) -> bool:
        return await DeliveryRepository(self.uow, webhook_tables).redeliver(message_id)

    @staticmethod
    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)
