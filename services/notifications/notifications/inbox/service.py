"""A person's inbox: only their own, by token subject; and the operators' dead-letter list."""

from __future__ import annotations

import datetime as dt
import uuid

from notifications.inbox.exceptions import NotDeadLettered, NotificationNotFound
from notifications.inbox.models import Notification
from notifications.inbox.repository import NotificationRepository
from notifications.inbox.schemas import DeadLetter, MarkedRead, NotificationRead, UnreadCount
from shared.auth import Identity
from shared.i18n import Language
from shared.pagination import Page, decode_keyset, encode_cursor
from shared.uow import UnitOfWork


def read_model(row: Notification, language: Language) -> NotificationRead:
    english = language == "en"
    return NotificationRead(
        id=row.id,
        kind=row.kind,
        title=row.title_en if english else row.title_zh,
        body=row.body_en if english else row.body_zh,
        link=row.link,
        urgent=row.urgent,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _next(rows: list[Notification], limit: int) -> str | None:
    return encode_cursor([rows[-1].created_at.isoformat(), rows[-1].id]) if len(rows) == limit else None


async def inbox(
    uow: UnitOfWork, identity: Identity, language: Language, *, unread: bool, cursor: str | None, limit: int
) -> Page[NotificationRead]:
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    rows = await uow.repository(NotificationRepository).inbox(
        identity.subject,
        unread_only=unread,
        after=(after[0], after[1]) if after else None,
        limit=limit,
    )
    return Page(items=[read_model(row, language) for row in rows], next_cursor=_next(rows, limit))


async def unread_count(uow: UnitOfWork, identity: Identity) -> UnreadCount:
    return UnreadCount(unread=await uow.repository(NotificationRepository).unread_count(identity.subject))


async def mark_read(
    uow: UnitOfWork, identity: Identity, language: Language, notification_id: uuid.UUID
) -> NotificationRead:
    row = await uow.repository(NotificationRepository).mark_read(identity.subject, notification_id)
    if row is None:
        raise NotificationNotFound()
    return read_model(row, language)


async def mark_all_read(uow: UnitOfWork, identity: Identity) -> MarkedRead:
    return MarkedRead(marked=await uow.repository(NotificationRepository).mark_all_read(identity.subject))


def dead_letter(row: Notification) -> DeadLetter:
    return DeadLetter(
        id=row.id,
        kind=row.kind,
        channel=row.channel,
        recipient=row.recipient,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
    )


async def dead_letters(uow: UnitOfWork, cursor: str | None, limit: int) -> Page[DeadLetter]:
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    rows = await uow.repository(NotificationRepository).dead_letters((after[0], after[1]) if after else None, limit)
    return Page(items=[dead_letter(row) for row in rows], next_cursor=_next(rows, limit))


async def retry_dead_letter(uow: UnitOfWork, notification_id: uuid.UUID) -> DeadLetter:
    row = await uow.repository(NotificationRepository).requeue(notification_id)
    if row is None or row.status != "queued":
        raise NotDeadLettered()
    return dead_letter(row)
