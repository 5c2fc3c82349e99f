"""Helpers every registry domain shares: the business calendar, scope checks, date ranges, events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, insert, tuple_
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from registry.database import platform_tables
from shared.auth import EVERY_ROLE, Identity, Role
from shared.errors import Forbidden
from shared.i18n import Text
from shared.outbox import record_event
from shared.pagination import decode_keyset, encode_cursor

BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")

# Reading public fields is open to every authenticated caller, including other services.
READERS: tuple[Role, ...] = EVERY_ROLE
WRITERS: tuple[Role, ...] = (Role.platform_admin, Role.community_staff)


def business_today() -> dt.date:
    """Today's date in Asia/Shanghai, the platform's business calendar."""
    return dt.datetime.now(BUSINESS_ZONE).date()


def require_staff(identity: Identity, community_id: uuid.UUID | None) -> None:
    """Platform admins, or community staff of this community; 403 otherwise."""
    if Role.platform_admin in identity.roles:
        return
    if community_id is None or not identity.staff_of(community_id):
        raise Forbidden(Text("只能管理本社区的数据", "You may change records of your own community only"))


def period(valid_from: dt.date, valid_to: dt.date | None = None) -> Range[dt.date]:
    """A half-open date range `[valid_from, valid_to)`; `None` means still open."""
    return Range(valid_from, valid_to, bounds="[)")


def date_iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def emit(
    session: AsyncSession, event_type: str, aggregate_type: str, aggregate_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Write a domain event to the registry outbox in the caller's transaction."""
    await record_event(session, platform_tables.outbox_event, event_type, aggregate_type, aggregate_id, payload)


def text_id_cursor(cursor: str | None) -> tuple[str, uuid.UUID] | None:
    """Decode a `(text, id)` keyset cursor; 400 INVALID_CURSOR when it is not one of ours."""
    return decode_keyset(cursor, str, uuid.UUID)


def page_cursor(has_more: bool, last: tuple[Any, ...] | None) -> str | None:
    return encode_cursor(last) if has_more and last is not None else None


async def emit_many(session: AsyncSession, events: Sequence[tuple[str, str, uuid.UUID, dict[str, Any]]]) -> None:
    """Write many events in one statement (bulk import, seed); same transaction as the change."""
    if not events:
        return
    rows = [
        {"event_id": uuid.uuid4(), "type": kind, "aggregate_type": aggregate, "aggregate_id": key, "payload": payload}
        for kind, aggregate, key, payload in events
    ]
    await session.execute(insert(platform_tables.outbox_event), rows)


def after_row(columns: tuple[Any, Any], values: tuple[str, uuid.UUID]) -> ColumnElement[bool]:
    """`(a, b) > (x, y)`: a row comparison the (a, b) btree index can start from, unlike the OR form."""
    return tuple_(*columns) > tuple_(*values)
