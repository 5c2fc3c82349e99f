"""Tables every service keeps in its own schema: idempotency keys, the outbox, feed cursors."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID


@dataclass(frozen=True, slots=True)
class PlatformTables:
    idempotency_key: Table
    outbox_event: Table
    feed_cursor: Table


def define_platform_tables(metadata: MetaData) -> PlatformTables:
    """Add the shared tables to a service's metadata (and so to its migrations)."""
    idempotency_key = Table(
        "idempotency_key",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("method", String(10), nullable=False),
        Column("path", String(2000), nullable=False),
        Column("request_hash", LargeBinary, nullable=False),
        Column("status_code", Integer),
        Column("response_body", LargeBinary),
        Column("response_headers", JSONB),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    outbox_event = Table(
        "outbox_event",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("type", String(100), nullable=False),
        Column("aggregate_type", String(100), nullable=False),
        Column("aggregate_id", UUID(as_uuid=True), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # The writing transaction: the feed serves an event only once every older writer has ended.
        Column("txid", BigInteger, nullable=False, server_default=text("pg_current_xact_id()::text::bigint")),
        Column("seq", BigInteger, unique=True),
    )
    # lets the sequencer find the rows that have no feed position yet without a scan
    Index("ix_outbox_event_unsequenced", outbox_event.c.id, postgresql_where=outbox_event.c.seq.is_(None))
    feed_cursor = Table(
        "feed_cursor",
        metadata,
        Column("source", String(100), primary_key=True),
        Column("position", BigInteger, nullable=False, server_default="0"),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return PlatformTables(idempotency_key, outbox_event, feed_cursor)
