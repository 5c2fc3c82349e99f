"""Reading requests: one request, the list a caller may see, a community's statistics."""

from __future__ import annotations

import datetime as dt
import uuid

from service_requests.requests.repository import RequestRepository, shanghai_midnight
from service_requests.requests.schemas import ListFilters, PartnerRequestRead, RequestRead, RequestStats
from service_requests.requests.transitions import load_visible
from service_requests.requests.views import sees_partner_view, to_partner_read, to_read, to_view
from shared.auth import Identity
from shared.db import utcnow
from shared.errors import Forbidden, InvalidCursor, InvalidRequest
from shared.i18n import Text
from shared.pagination import Page, decode_keyset, encode_cursor
from shared.uow import UnitOfWork


async def get(
    uow: UnitOfWork, identity: Identity, request_id: uuid.UUID, now: dt.datetime
) -> RequestRead | PartnerRequestRead:
    """One request in the view the caller is entitled to, with their allowed next actions."""
    row = await load_visible(uow.repository(RequestRepository), identity, request_id)
    return to_view(row, identity, now)


async def page(
    uow: UnitOfWork,
    identity: Identity,
    filters: ListFilters,
    now: dt.datetime,
    *,
    cursor: str | None,
    limit: int,
) -> Page[RequestRead] | Page[PartnerRequestRead]:
    """Newest first, keyset-paged; partners get the partner view."""
    after = _after(cursor, filters.sort)
    rows = await uow.repository(RequestRepository).page(
        identity, filters=filters, now=now, after=after, limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        if filters.sort == "-created_at":
            next_cursor = encode_cursor([last.created_at.isoformat(), last.id])
        else:  # the sort travels in the cursor, so a cursor of another sort is refused
            moment = last.created_at if filters.sort.endswith("created_at") else last.resolve_due_at
            next_cursor = encode_cursor([filters.sort, moment.isoformat(), last.id])
    if sees_partner_view(identity):
        shared = [to_partner_read(row, identity, now) for row in rows[:limit]]
        return Page[PartnerRequestRead](items=shared, next_cursor=next_cursor)
    return Page[RequestRead](items=[to_read(row, identity, now) for row in rows[:limit]], next_cursor=next_cursor)


def _after(cursor: str | None, sort: str) -> tuple[dt.datetime, uuid.UUID] | None:
    """The keyset of a cursor: `[created_at, id]` for the default sort, `[sort, key, id]` otherwise."""
    if sort == "-created_at":
        keyset = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
        return None if keyset is None else (keyset[0], keyset[1])
    decoded = decode_keyset(cursor, str, dt.datetime.fromisoformat, uuid.UUID)
    if decoded is None:
        return None
    if decoded[0] != sort:
        raise InvalidCursor(
            Text("游标与当前排序不符", "The cursor does not match this listing"),
            errors=[{"detail": "cursor does not match the sort", "parameter": "cursor"}],
        )
    return decoded[1], decoded[2]


async def stats(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, start: dt.date, end: dt.date
) -> RequestStats:
    """Community figures for requests created from `start` to `end` (inclusive, Shanghai dates)."""
    if end < start:
        raise InvalidRequest(
            Text("结束日期早于开始日期", "`to` is before `from`"), errors=[{"detail": "to < from", "parameter": "to"}]
        )
    if not identity.staff_of(community_id):
        raise Forbidden(Text("只能查看本社区的统计", "You may only see your own community's figures"))
    figures = await uow.repository(RequestRepository).stats(
        community_id, shanghai_midnight(start), shanghai_midnight(end + dt.timedelta(days=1)), utcnow()
    )
    return RequestStats.model_validate({"community_id": community_id, "from_date": start, "to_date": end, **figures})
