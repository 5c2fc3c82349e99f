"""SQL of WeChat one-time subscriptions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from notifications.subscriptions.models import WeChatSubscription
from shared.uow import Repository

CLAIM = text("""
    UPDATE notifications.wechat_subscription SET notification_id = :notification_id
    WHERE id = (
        SELECT id FROM notifications.wechat_subscription
        WHERE subject = :subject AND template_id = :template_id AND notification_id IS NULL
        ORDER BY accepted_at, id LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
""")


class SubscriptionRepository(Repository):
    async def accept(self, subject: str, template_ids: Sequence[str]) -> None:
        """One open subscription per accepted template (a template accepted twice allows two messages)."""
        if template_ids:
            await self.session.execute(
                insert(WeChatSubscription), [{"subject": subject, "template_id": tid} for tid in template_ids]
            )

    async def open_counts(self, subject: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(WeChatSubscription.template_id, func.count())
            .where(WeChatSubscription.subject == subject, WeChatSubscription.notification_id.is_(None))
            .group_by(WeChatSubscription.template_id)
        )
        return {template_id: int(count) for template_id, count in rows.all()}

    async def subscribed(self, template_id: str, subjects: Sequence[str]) -> set[str]:
        """Which of `subjects` hold an open subscription to the template."""
        rows = await self.session.scalars(
            select(WeChatSubscription.subject)
            .where(
                WeChatSubscription.template_id == template_id,
                WeChatSubscription.subject.in_(list(subjects)),
                WeChatSubscription.notification_id.is_(None),
            )
            .distinct()
        )
        return set(rows.all())

    async def claim(self, subject: str, template_id: str, notification_id: uuid.UUID) -> uuid.UUID | None:
        """Reserve the oldest open subscription for one message (unique: a subscription, one message)."""
        found = await self.session.scalar(
            CLAIM, {"subject": subject, "template_id": template_id, "notification_id": notification_id}
        )
        return found if isinstance(found, uuid.UUID) else None

    async def spend(self, subscription_id: uuid.UUID) -> None:
        await self.session.execute(
            update(WeChatSubscription).where(WeChatSubscription.id == subscription_id).values(used_at=func.now())
        )

    async def release(self, subscription_id: uuid.UUID) -> None:
        """The message will not go out (nobody to send to, or never valid): the subscription stays open."""
        await self.session.execute(
            update(WeChatSubscription)
            .where(WeChatSubscription.id == subscription_id, WeChatSubscription.used_at.is_(None))
            .values(notification_id=None)
        )
