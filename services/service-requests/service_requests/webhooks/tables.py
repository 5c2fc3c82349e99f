"""The webhook tables (endpoints, messages, attempts) in the service's metadata and migrations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    ARRAY,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID


@dataclass(frozen=True, slots=True)
class WebhookTables:
    endpoint: Table
    message: Table
    attempt: Table


def define_webhook_tables(metadata: MetaData) -> WebhookTables:
    """Add the webhook tables to a service's metadata (and so to its migrations)."""
    endpoint = Table(
        "webhook_endpoint",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("owner_id", UUID(as_uuid=True), nullable=False, index=True),
        Column("url", String(2000), nullable=False),
        Column("event_types", ARRAY(String(100)), nullable=False, server_default="{}"),
        Column("description", String(500)),
        Column("secret", String(200), nullable=False),
        Column("previous_secret", String(200)),
        Column("previous_secret_expires_at", DateTime(timezone=True)),
        Column("failing_since", DateTime(timezone=True)),
        Column("disabled_at", DateTime(timezone=True)),
        Column("disabled_reason", String(200)),
        Column("version", Integer, nullable=False, server_default="1"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    message = Table(
        "webhook_message",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("endpoint_id", UUID(as_uuid=True), ForeignKey(endpoint.c.id, ondelete="CASCADE"), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("status", String(20), nullable=False, server_default="pending"),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("lease_until", DateTime(timezone=True)),
        Column("last_status_code", Integer),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("delivered_at", DateTime(timezone=True)),
        Index(None, "endpoint_id", "created_at"),
    )
    Index(
        f"ix_{message.name}_due",
        message.c.next_attempt_at,
        postgresql_where=message.c.status == "pending",
    )
    attempt = Table(
        "webhook_attempt",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("message_id", String(40), ForeignKey(message.c.id, ondelete="CASCADE"), nullable=False, index=True),
        Column("attempted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("status_code", Integer),
        Column("duration_ms", Integer, nullable=False),
        Column("response_excerpt", Text),
        Column("error", String(200)),
    )
    return WebhookTables(endpoint, message, attempt)
