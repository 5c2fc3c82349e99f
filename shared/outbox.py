"""Domain events: written to the outbox with the change, served as an ordered feed, consumed idempotently.

Feed order is assigned by a sequencer only to events whose writing transaction is older than
every transaction still running (`pg_snapshot_xmin`), so a slow writer can never commit an
event *behind* a position a consumer has already passed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth import IDENTITY_HEADER, Identity, Role, allow, mint_internal_token
from shared.iso import IntegerText
from shared.uow import UnitOfWork

logger = structlog.get_logger("shared.outbox")


async def record_event(
    session: AsyncSession,
    outbox: Table,
    event_type: str,
    aggregate_type: str,
    aggregate_id: uuid.UUID,
    payload: dict[str, Any],
) -> uuid.UUID:
    """Append a domain event in the caller's transaction (the one outbox writer; `record_events` is
    its batch form for bulk loads)."""
    (event_id,) = await record_events(session, outbox, [(event_type, aggregate_type, aggregate_id, payload)])
    return event_id


OutboxEvent = tuple[str, str, uuid.UUID, dict[str, Any]]
"""`(event_type, aggregate_type, aggregate_id, payload)`."""

IDS_PER_EVENT = 500
"""At most this many recipient ids in one event's payload; a longer list is split over several events."""


def chunked(items: Sequence[Any], size: int = IDS_PER_EVENT) -> list[Sequence[Any]]:
    """`items` in consecutive slices of at most `size`; one empty slice for an empty list."""
    return [items[start : start + size] for start in range(0, len(items), size)] or [items[:0]]


async def record_events(session: AsyncSession, outbox: Table, events: Sequence[OutboxEvent]) -> list[uuid.UUID]:
    """Append many domain events in one statement, in the caller's transaction (imports, seeds)."""
    ids = [uuid.uuid4() for _ in events]
    rows: list[dict[str, object]] = [
        {"event_id": event_id, "type": kind, "aggregate_type": aggregate, "aggregate_id": key, "payload": payload}
        for event_id, (kind, aggregate, key, payload) in zip(ids, events, strict=True)
    ]
    if len(rows) == 1:
        await session.execute(insert(outbox).values(**rows[0]))
    elif rows:
        await session.execute(insert(outbox), rows)
    return ids


class FeedEvent(BaseModel):
    seq: int = Field(description="Position in this service's feed; pass the last one as `after`")
    event_id: uuid.UUID
    type: str
    aggregate_type: str
    aggregate_id: uuid.UUID
    occurred_at: dt.datetime
    payload: dict[str, Any]


class EventFeed(BaseModel):
    items: list[FeedEvent]
    last_seq: int = Field(description="The position to resume from (`after`)")


async def assign_positions(session: AsyncSession, outbox: Table) -> None:
    """Give feed positions, in commit-safe order, to events no running transaction can precede."""
    schema = outbox.schema
    table = f'"{schema}".{outbox.name}' if schema else outbox.name
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"{table}:sequencer"})
    await session.execute(
        text(f"""
        WITH base AS (SELECT coalesce(max(seq), 0) AS top FROM {table}),
        ready AS (
            SELECT id, row_number() OVER (ORDER BY txid, id) AS step FROM {table}
            WHERE seq IS NULL AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
        )
        UPDATE {table} AS event SET seq = base.top + ready.step
        FROM base, ready WHERE event.id = ready.id
    """)
    )


async def read_feed(sessionmaker: async_sessionmaker[AsyncSession], outbox: Table, after: int, limit: int) -> EventFeed:
    """The events after position `after`, in feed order."""
    async with sessionmaker() as session, session.begin():
        await assign_positions(session, outbox)
    async with sessionmaker() as session:
        rows = (
            await session.execute(select(outbox).where(outbox.c.seq > after).order_by(outbox.c.seq).limit(limit))
        ).all()
    items = [FeedEvent.model_validate(row, from_attributes=True) for row in rows]
    return EventFeed(items=items, last_seq=items[-1].seq if items else after)


def event_feed_router(outbox: Table) -> APIRouter:
    """`GET /internal/events`: the service's ordered event feed for other services."""
    router = APIRouter(tags=["internal"], include_in_schema=True)

    @router.get(
        "/internal/events",
        summary="Ordered domain-event feed (other services only)",
        dependencies=[allow(Role.service, Role.platform_admin)],
    )
    async def events(
        request: Request,
        after: Annotated[int, Query(ge=0, description="Return events after this position"), IntegerText] = 0,
        limit: Annotated[int, Query(ge=1, le=1000), IntegerText] = 100,
    ) -> EventFeed:
        """Events after `after`, oldest first."""
        return await read_feed(request.app.state.sessionmaker, outbox, after, limit)

    return router


EventHandler = Callable[[AsyncSession, FeedEvent], Awaitable[None]]


class FeedConsumer:
    """Pulls another service's feed in the background; each event is handled and the cursor
    advanced in one transaction, so a restart resumes exactly where it stopped, and replicas of
    one consumer sharing the cursor row handle each event once between them (`_claim`)."""

    def __init__(
        self,
        *,
        source: str,
        client: httpx.AsyncClient,
        consumer_name: str,
        secret: str,
        cursor_table: Table,
        sessionmaker: async_sessionmaker[AsyncSession],
        handler: EventHandler,
        poll_seconds: float = 1.0,
    ) -> None:
        self.source = source
        self._client = client  # base_url = the source service; created once in lifespan
        self._identity = Identity(subject=f"service:{consumer_name}", roles=frozenset({Role.service}))
        self._secret = secret
        self._cursor = cursor_table
        self._sessionmaker = sessionmaker
        self._handler = handler
        self._poll_seconds = poll_seconds

    @classmethod
    def of_app(
        cls,
        app: Any,
        *,
        source: str,
        client: httpx.AsyncClient,
        consumer_name: str,
        cursor_table: Table,
        on_event: Callable[[UnitOfWork, FeedEvent], Awaitable[None]],
        poll_seconds: float,
        secret: str | None = None,
    ) -> FeedConsumer:
        """A consumer inside a service app: the app's internal-token secret and sessionmaker, and
        each event handled in a unit of work of the app (its transaction also moves the cursor)."""

        async def handle(session: AsyncSession, event: FeedEvent) -> None:
            await on_event(UnitOfWork(session, app), event)

        return cls(
            source=source,
            client=client,
            consumer_name=consumer_name,
            secret=secret or app.state.settings.internal_token_secret.get_secret_value(),
            cursor_table=cursor_table,
            sessionmaker=app.state.sessionmaker,
            handler=handle,
            poll_seconds=poll_seconds,
        )

    async def position(self) -> int:
        async with self._sessionmaker() as session:
            value = await session.scalar(select(self._cursor.c.position).where(self._cursor.c.source == self.source))
        return int(value or 0)

    async def poll_once(self, limit: int = 200) -> int:
        """Fetch and handle one batch; returns how many events were handled."""
        after = await self.position()
        headers = {IDENTITY_HEADER: mint_internal_token(self._identity, self._secret)}
        response = await self._client.get("/internal/events", params={"after": after, "limit": limit}, headers=headers)
        response.raise_for_status()
        feed = EventFeed.model_validate(response.json())
        handled = 0
        for event in feed.items:
            async with self._sessionmaker() as session, session.begin():
                if not await self._claim(session, event.seq):
                    continue  # another replica's consumer handled it (or is handling it and will commit)
                await self._handler(session, event)
                handled += 1
        return handled

    async def _claim(self, session: AsyncSession, seq: int) -> bool:
        """Move the cursor to `seq` in the event's transaction, unless it is there already.

        The upsert locks the cursor row until the transaction ends, so a second replica claiming the
        same event waits, then sees the moved cursor and skips it: each event is handled once across
        replicas, in feed order, and a rolled-back handler gives its event back."""
        claimed = await session.scalar(
            insert(self._cursor)
            .values(source=self.source, position=seq)
            .on_conflict_do_update(
                index_elements=[self._cursor.c.source],
                set_={"position": seq, "updated_at": func.now()},
                where=self._cursor.c.position < seq,
            )
            .returning(self._cursor.c.source)
        )
        return claimed is not None

    async def run(self) -> None:
        """Poll forever; errors are logged and retried after a pause."""
        while True:
            try:
                handled = await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a dead upstream must not kill the consumer
                logger.warning("feed_poll_failed", source=self.source, error_type=type(exc).__name__)
                handled = 0
            if handled == 0:
                await asyncio.sleep(self._poll_seconds)
