"""SQL of the send queue: claim with a lease, settle each outcome."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import text

from shared.uow import Repository

CLAIM = text("""
    UPDATE notifications.notification AS n
    SET next_attempt_at = now() + make_interval(secs => :lease), attempts = n.attempts + 1
    WHERE n.id IN (
        SELECT id FROM notifications.notification
        WHERE status = 'queued' AND channel = :channel AND next_attempt_at <= now()
          AND (urgent OR NOT :quiet)
        ORDER BY next_attempt_at, id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING n.id, n.recipient, n.message, n.attempts, n.subscription_id
""")


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    recipient: str
    message: str
    attempts: int
    subscription_id: uuid.UUID | None


class QueueRepository(Repository):
    async def claim(self, channel: str, limit: int, *, lease_seconds: float, quiet: bool) -> list[Claimed]:
        """Messages due on `channel`, leased to this worker (a crash hands them on when the lease ends)."""
        rows = await self.session.execute(
            CLAIM, {"channel": channel, "limit": limit, "lease": lease_seconds, "quiet": quiet}
        )
        return [Claimed(row.id, row.recipient, row.message or "{}", row.attempts, row.subscription_id) for row in rows]

    async def attach_subscription(self, notification_id: uuid.UUID, subscription_id: uuid.UUID) -> None:
        await self.session.execute(
            text("UPDATE notifications.notification SET subscription_id = :s WHERE id = :id"),
            {"s": subscription_id, "id": notification_id},
        )

    async def settle(
        self,
        notification_id: uuid.UUID,
        status: str,
        *,
        error: str | None = None,
        retry_at: dt.datetime | None = None,
        keep_subscription: bool = True,
    ) -> None:
        """The outcome of one attempt: `sent`, `skipped`, `refused`, `dead`, or `queued` again at `retry_at`."""
        await self.session.execute(
            text("""
                UPDATE notifications.notification
                SET status = CAST(:status AS varchar), next_attempt_at = :retry_at, last_error = :error,
                    sent_at = CASE WHEN CAST(:status AS varchar) = 'sent' THEN now() ELSE sent_at END,
                    subscription_id = CASE WHEN CAST(:keep AS boolean) THEN subscription_id END
                WHERE id = :id
            """),
            {"status": status, "retry_at": retry_at, "error": error, "id": notification_id, "keep": keep_subscription},
        )
