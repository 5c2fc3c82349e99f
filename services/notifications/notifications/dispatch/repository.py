"""SQL of dispatches: written by the feed consumer, taken a page at a time by the fan-out worker."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert

from notifications.database import platform_tables
from notifications.dispatch.models import Dispatch
from shared.uow import Repository


class DispatchRepository(Repository):
    async def add(
        self,
        *,
        event_id: uuid.UUID,
        kind: str,
        feed: str,
        subject_key: str | None,
        selectors: list[dict[str, Any]],
        context: dict[str, Any],
        urgent: bool,
        not_before: dt.datetime,
        occurred_at: dt.datetime,
    ) -> None:
        """One dispatch per (event, rule): a replayed feed event writes nothing."""
        await self.session.execute(
            insert(Dispatch)
            .values(
                event_id=event_id,
                kind=kind,
                feed=feed,
                subject_key=subject_key,
                selector={"parts": selectors},
                context=context,
                urgent=urgent,
                not_before=not_before,
                occurred_at=occurred_at,
            )
            .on_conflict_do_nothing(index_elements=["event_id", "kind"])
        )

    async def cancel(self, kind: str, subject_key: str) -> int:
        """Call off the pending dispatches of `kind` about `subject_key` (a reminder made moot)."""
        return await self.affected(
            update(Dispatch)
            .where(Dispatch.kind == kind, Dispatch.subject_key == subject_key, Dispatch.status == "pending")
            .values(status="cancelled", updated_at=text("now()"))
        )

    async def take(self) -> Dispatch | None:
        """The pending dispatch whose turn it is, locked for this transaction (other replicas skip
        it). The least recently served goes first, so a big fan-out takes turns with new events."""
        return await self.session.scalar(
            select(Dispatch)
            .where(Dispatch.status == "pending", Dispatch.not_before <= text("now()"))
            .order_by(Dispatch.updated_at, Dispatch.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    async def advance(self, dispatch: Dispatch, cursor: str | None, written: int) -> None:
        dispatch.written += written
        dispatch.updated_at = dt.datetime.now(dt.UTC)
        if cursor is None:
            dispatch.status = "done"
            dispatch.cursor = None
        else:
            dispatch.cursor = cursor
        await self.session.flush()

    async def postpone(self, dispatch_id: int, seconds: float) -> None:
        await self.session.execute(
            update(Dispatch)
            .where(Dispatch.id == dispatch_id)
            .values(
                not_before=text("now() + make_interval(secs => :seconds)").bindparams(seconds=seconds),
                updated_at=text("now()"),
            )
        )

    async def pending_count(self) -> int:
        return int(
            await self.session.scalar(text("SELECT count(*) FROM notifications.dispatch WHERE status = 'pending'")) or 0
        )


class FeedCursorRepository(Repository):
    """The position this service has read each source feed to (the feed consumer's own table)."""

    async def position(self, feed: str) -> int | None:
        table = platform_tables.feed_cursor
        position = await self.session.scalar(select(table.c.position).where(table.c.source == feed))
        return None if position is None else int(position)

    async def start_at(self, feed: str, position: int) -> None:
        """The first cursor of a feed; a cursor another replica wrote first is kept."""
        table = platform_tables.feed_cursor
        await self.session.execute(insert(table).values(source=feed, position=position).on_conflict_do_nothing())
