"""Helpers every registry domain shares: role lists, date ranges, cursors, events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, tuple_
from sqlalchemy.dialects.postgresql import Range

from registry.database import platform_tables
from shared.auth import EVERY_ROLE, Role
from shared.outbox import record_event, record_events
from shared.pagination import decode_keyset, encode_cursor
from shared.uow import UnitOfWork

# Reading public fields is open to every authenticated caller, including other services.
READERS: tuple[Role, ...] = EVERY_ROLE
WRITERS: tuple[Role, ...] = (Role.platform_admin, Role.community_staff)


def period(valid_from: dt.date, valid_to: dt.date | None = None) -> Range[dt.date]:
    """A half-open date range `[valid_from, valid_to)`; `None` means still open."""
    return Range(valid_from, valid_to, bounds="[)")


def date_iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def emit(
    uow: UnitOfWork, event_type: str, aggregate_type: str, aggregate_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Write a domain event to the registry outbox in the unit of work's transaction."""
    await record_event(uow.session, platform_tables.outbox_event, event_type, aggregate_type, aggregate_id, payload)


def text_id_cursor(cursor: str | None) -> tuple[str, uuid.UUID] | None:
    """Decode a `(text, id)` keyset cursor; 400 INVALID_CURSOR when it is not one of ours."""
    return decode_keyset(cursor, str, uuid.UUID)


def page_cursor(has_more: bool, last: tuple[Any, ...] | None) -> str | None:
    return encode_cursor(last) if has_more and last is not None else None


async def emit_many(uow: UnitOfWork, events: Sequence[tuple[str, str, uuid.UUID, dict[str, Any]]]) -> None:
    """Write many events in one statement (bulk import), in the unit of work's transaction."""
    await record_events(uow.session, platform_tables.outbox_event, events)


def after_row(columns: tuple[Any, Any], values: tuple[str, uuid.UUID]) -> ColumnElement[bool]:
    """`(a, b) > (x, y)`: a row comparison the (a, b) btree index can start from, unlike the OR form."""
    return tuple_(*columns) > tuple_(*values)
