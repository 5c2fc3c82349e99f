"""SQL of notifications: the fan-out's batch insert, a person's inbox, the send queue."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, text, update

from notifications.inbox.models import Notification
from shared.pagination import after_keyset
from shared.uow import Repository

# Every row of one page shares the event's words; only recipient, channel and the queue columns
# differ, so they travel as arrays and the rest once.
INSERT_PAGE = text("""
    INSERT INTO notifications.notification
        (event_id, kind, urgent, title_zh, title_en, body_zh, body_en, link,
         recipient, channel, status, next_attempt_at, message)
    SELECT :event_id, :kind, :urgent, :title_zh, :title_en, :body_zh, :body_en, :link,
           row.recipient, row.channel, row.status, row.next_attempt_at, row.message
    FROM unnest(CAST(:recipients AS text[]), CAST(:channels AS text[]), CAST(:statuses AS text[]),
                CAST(:times AS timestamptz[]), CAST(:messages AS text[]))
         AS row(recipient, channel, status, next_attempt_at, message)
    ON CONFLICT ON CONSTRAINT uq_notification_once DO NOTHING
""")


@dataclass(frozen=True, slots=True)
class Words:
    event_id: uuid.UUID
    kind: str
    urgent: bool
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    link: str | None


@dataclass(frozen=True, slots=True)
class Row:
    recipient: str
    channel: str
    next_attempt_at: dt.datetime | None = None
    message: str | None = None

    @property
    def status(self) -> str:
        return "delivered" if self.channel == "inbox" else "queued"


INBOX_ORDER: list[ColumnElement[Any]] = [Notification.__table__.c.created_at, Notification.__table__.c.id]


class NotificationRepository(Repository):
    async def insert_page(self, words: Words, rows: Sequence[Row]) -> int:
        """Write one page of notifications; those already written (a replay, a resumed fan-out) are skipped.
        Returns how many rows are new."""
        if not rows:
            return 0
        return await self.affected(
            INSERT_PAGE,
            {
                "event_id": words.event_id,
                "kind": words.kind,
                "urgent": words.urgent,
                "title_zh": words.title_zh,
                "title_en": words.title_en,
                "body_zh": words.body_zh,
                "body_en": words.body_en,
                "link": words.link,
                "recipients": [row.recipient for row in rows],
                "channels": [row.channel for row in rows],
                "statuses": [row.status for row in rows],
                "times": [row.next_attempt_at for row in rows],
                "messages": [row.message for row in rows],
            },
        )

    async def inbox(
        self, recipient: str, *, unread_only: bool, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> list[Notification]:
        query = select(Notification).where(Notification.recipient == recipient, Notification.channel == "inbox")
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        if after is not None:
            query = query.where(after_keyset(INBOX_ORDER, after, [True, True]))
        query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
        return list((await self.session.scalars(query)).all())

    async def unread_count(self, recipient: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(
                    Notification.recipient == recipient,
                    Notification.channel == "inbox",
                    Notification.read_at.is_(None),
                )
            )
            or 0
        )

    async def mark_read(self, recipient: str, notification_id: uuid.UUID) -> Notification | None:
        """Mark one of the recipient's inbox items read (the first read time stays); None if not theirs."""
        await self.session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.recipient == recipient,
                Notification.channel == "inbox",
                Notification.read_at.is_(None),
            )
            .values(read_at=func.now())
        )
        return await self.session.scalar(
            select(Notification)
            .where(
                Notification.id == notification_id,
                Notification.recipient == recipient,
                Notification.channel == "inbox",
            )
            .execution_options(populate_existing=True)
        )

    async def mark_all_read(self, recipient: str) -> int:
        return await self.affected(
            update(Notification)
            .where(
                Notification.recipient == recipient,
                Notification.channel == "inbox",
                Notification.read_at.is_(None),
            )
            .values(read_at=func.now())
        )

    async def dead_letters(self, after: tuple[dt.datetime, uuid.UUID] | None, limit: int) -> list[Notification]:
        query = select(Notification).where(Notification.status == "dead")
        if after is not None:
            query = query.where(after_keyset(INBOX_ORDER, after, [True, True]))
        query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
        return list((await self.session.scalars(query)).all())

    async def requeue(self, notification_id: uuid.UUID) -> Notification | None:
        """A dead letter queued again, with a fresh count of attempts."""
        await self.session.execute(
            update(Notification)
            .where(and_(Notification.id == notification_id, Notification.status == "dead"))
            .values(status="queued", attempts=0, next_attempt_at=func.now(), last_error=None)
        )
        return await self.session.scalar(
            select(Notification).where(Notification.id == notification_id).execution_options(populate_existing=True)
        )
