"""The SQL of webhook delivery: queueing in the caller's transaction, and the dispatcher's leases,
attempts, retries and backlog, each in the short transaction the dispatcher opens for it.

Built on a unit of work like every repository, and on the webhook tables it serves (the service's
`webhook_tables`, or a test's own schema): `DeliveryRepository(uow, tables)`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import any_, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert

from service_requests.webhooks.tables import WebhookTables
from shared.uow import Repository, UnitOfWork


def wake_channel(tables: WebhookTables) -> str:
    """The NOTIFY channel of one schema's dispatchers."""
    return f"{tables.message.schema or 'public'}_webhooks"


class DeliveryRepository(Repository):
    def __init__(self, uow: UnitOfWork, tables: WebhookTables) -> None:
        super().__init__(uow)
        self.tables = tables

    async def wanting(self, owner_id: uuid.UUID, event_type: str) -> list[uuid.UUID]:
        """The active endpoints of `owner_id` that take `event_type` (none listed: every type)."""
        endpoint = self.tables.endpoint
        statement = select(endpoint.c.id).where(
            endpoint.c.owner_id == owner_id,
            endpoint.c.disabled_at.is_(None),
            (literal(event_type) == any_(endpoint.c.event_types)) | (func.cardinality(endpoint.c.event_types) == 0),
        )
        return list((await self.session.execute(statement)).scalars().all())

    async def add_messages(self, targets: Sequence[uuid.UUID], event_type: str, body: bytes) -> None:
        """One message per endpoint, the same bytes for each, and a wake-up at commit."""
        await self.session.execute(
            insert(self.tables.message),
            [
                {"id": f"msg_{uuid.uuid4().hex}", "endpoint_id": target, "event_type": event_type, "payload": body}
                for target in targets
            ],
        )
        await self.wake_dispatchers()

    async def wake_dispatchers(self) -> None:
        """Wake idle dispatchers when this transaction commits (PostgreSQL sends nothing on rollback)."""
        await self.session.execute(select(func.pg_notify(wake_channel(self.tables), "")))

    async def lease(self, batch: int, lease: dt.timedelta) -> list[tuple[Any, Any]]:
        """Lease up to `batch` due messages of enabled endpoints, each with its endpoint's row."""
        message, endpoint = self.tables.message, self.tables.endpoint
        due = (
            select(message.c.id)
            .join(endpoint, endpoint.c.id == message.c.endpoint_id)
            .where(
                message.c.status == "pending",
                message.c.next_attempt_at <= func.now(),
                (message.c.lease_until.is_(None)) | (message.c.lease_until < func.now()),
                endpoint.c.disabled_at.is_(None),
            )
            .order_by(message.c.next_attempt_at)
            .limit(batch)
            .with_for_update(of=message, skip_locked=True)
        )
        leased = (
            await self.session.execute(
                update(message)
                .where(message.c.id.in_(due.scalar_subquery()))
                .values(lease_until=func.now() + lease, attempts=message.c.attempts + 1)
                .returning(message.c.id, message.c.endpoint_id, message.c.payload, message.c.attempts)
            )
        ).all()
        if not leased:
            return []
        statement = select(endpoint).where(endpoint.c.id.in_({row.endpoint_id for row in leased}))
        endpoints = {row.id: row for row in (await self.session.execute(statement)).all()}
        return [(row, endpoints[row.endpoint_id]) for row in leased]

    async def add_attempts(self, attempts: Sequence[dict[str, Any]]) -> None:
        """Log attempts (`message_id`, `status_code`, `duration_ms`, `response_excerpt`, `error`)."""
        await self.session.execute(insert(self.tables.attempt), [{"id": uuid.uuid4(), **row} for row in attempts])

    async def delivered(self, message_ids: Sequence[str], status_code: int | None) -> None:
        message = self.tables.message
        await self.session.execute(
            update(message)
            .where(message.c.id.in_(message_ids))
            .values(status="delivered", delivered_at=func.now(), lease_until=None, last_status_code=status_code)
        )

    async def healthy(self, endpoint_ids: set[uuid.UUID]) -> None:
        """One delivery proves an endpoint works again."""
        endpoint = self.tables.endpoint
        await self.session.execute(update(endpoint).where(endpoint.c.id.in_(endpoint_ids)).values(failing_since=None))

    async def failed(self, message_id: str, status_code: int | None, *, final: bool, delay_seconds: float) -> None:
        """Schedule the message's next attempt in `delay_seconds`, or give up on it (`final`)."""
        message = self.tables.message
        await self.session.execute(
            update(message)
            .where(message.c.id == message_id)
            .values(
                status="failed" if final else "pending",
                lease_until=None,
                last_status_code=status_code,
                next_attempt_at=func.now() + dt.timedelta(seconds=delay_seconds),
            )
        )

    async def failing(self, endpoint_id: uuid.UUID, disabled_reason: str | None) -> None:
        """Mark the endpoint failing since its first failure, and disabled when there is a reason."""
        endpoint = self.tables.endpoint
        values: dict[str, Any] = {"failing_since": func.coalesce(endpoint.c.failing_since, func.now())}
        if disabled_reason:
            values |= {"disabled_at": func.now(), "disabled_reason": disabled_reason}
        await self.session.execute(update(endpoint).where(endpoint.c.id == endpoint_id).values(**values))

    async def backlog(self) -> tuple[int, dt.datetime | None, dt.datetime]:
        """Messages pending for enabled endpoints, the oldest one's creation, and the database's now."""
        message, endpoint = self.tables.message, self.tables.endpoint
        query = (
            select(func.count(), func.min(message.c.created_at), func.now())
            .select_from(message.join(endpoint, endpoint.c.id == message.c.endpoint_id))
            .where(message.c.status == "pending", endpoint.c.disabled_at.is_(None))
        )
        pending, oldest, now = (await self.session.execute(query)).one()
        return int(pending), oldest, now

    async def redeliver(self, message_id: str) -> bool:
        """Make a message due now, whatever its state; False when there is no such message."""
        message = self.tables.message
        result = await self.session.execute(
            update(message)
            .where(message.c.id == message_id)
            .values(status="pending", next_attempt_at=func.now(), lease_until=None)
            .returning(message.c.id)
        )
        if result.first() is None:
            return False
        await self.wake_dispatchers()
        return True
