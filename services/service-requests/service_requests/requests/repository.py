"""SQL for requests after their submission (`submission_repository.py`): the ORM for workflow
updates, timelines, lists, the jobs' selections and the statistics."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    Interval,
    String,
    Table,
    and_,
    bindparam,
    false,
    func,
    null,
    or_,
    select,
    text,
    true,
)
from sqlalchemy import Text as SqlText
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY

from service_requests.catalogue.models import ServiceType
from service_requests.database import platform_tables, webhook_tables
from service_requests.requests.models import DEADLINE_NOTICE_SHARE, RequestEvent, ServiceRequest
from service_requests.requests.schemas import ListFilters
from service_requests.requests.workflow import OPEN_FOR_HANDLER, Status
from service_requests.webhooks.delivery import enqueue
from service_requests.working_calendar import SHANGHAI
from shared.auth import Identity, Role
from shared.outbox import record_event
from shared.pagination import after_keyset
from shared.textsearch import like_fragment
from shared.uow import Repository

REQUEST = cast(Table, ServiceRequest.__table__)
EVENT = cast(Table, RequestEvent.__table__)
TYPE = cast(Table, ServiceType.__table__)
_OPEN = [status.value for status in OPEN_FOR_HANDLER]
_RUNNING = [*_OPEN, Status.waiting_for_requester.value]  # a paused clock still has a deadline to move


def overdue_clause(now: dt.datetime) -> ColumnElement[bool]:
    """Open for the handler and past the resolve deadline, or unacknowledged past the acknowledge one."""
    return and_(
        ServiceRequest.status.in_(_OPEN),
        or_(
            ServiceRequest.resolve_due_at < now,
            and_(ServiceRequest.acknowledged_at.is_(None), ServiceRequest.acknowledge_due_at < now),
        ),
    )


def visible_to(identity: Identity) -> ColumnElement[bool]:
    """The requests an identity may see: own, own enterprise's, own community's, or routed to it."""
    clauses: list[ColumnElement[bool]] = []
    if identity.has(Role.platform_admin):
        return true()
    if identity.has(Role.community_staff) and identity.community_ids:
        clauses.append(ServiceRequest.community_id.in_(identity.community_ids))
    if identity.has(Role.partner) and identity.partner_id is not None:
        clauses.append(ServiceRequest.routed_partner_id == identity.partner_id)
    if identity.has(Role.enterprise_rep) and identity.enterprise_id is not None:
        clauses.append(ServiceRequest.enterprise_id == identity.enterprise_id)
    clauses.append(ServiceRequest.requester_subject == identity.subject)
    return or_(*clauses) if clauses else false()


class RequestRepository(Repository):
    async def get(self, request_id: uuid.UUID, *, for_update: bool = False) -> ServiceRequest | None:
        statement = select(ServiceRequest).where(ServiceRequest.id == request_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def notify_partner(
        self, partner_id: uuid.UUID, event_type: str, data: dict[str, Any], occurred_at: dt.datetime
    ) -> int:
        """Queue a webhook message to each of the partner's endpoints, in this transaction."""
        return await enqueue(
            self.session,
            webhook_tables,
            owner_id=partner_id,
            event_type=event_type,
            data=data,
            occurred_at=occurred_at,
        )

    def add_event(self, event: RequestEvent) -> None:
        self.session.add(event)

    async def flush(self) -> None:
        await self.session.flush()

    async def timeline(self, request_id: uuid.UUID, *, include_internal: bool) -> list[RequestEvent]:
        statement = select(RequestEvent).where(RequestEvent.request_id == request_id)
        if not include_internal:
            statement = statement.where(RequestEvent.internal.is_(False))
        return list((await self.session.execute(statement.order_by(RequestEvent.seq))).scalars())

    async def page(
        self,
        identity: Identity,
        *,
        filters: ListFilters,
        now: dt.datetime,
        after: Sequence[Any] | None,
        limit: int,
    ) -> list[ServiceRequest]:
        statement = select(ServiceRequest).where(visible_to(identity), *_where(filters, now))
        if filters.q is not None:
            # A generic plan guesses the fragment's selectivity: it may read every match of a common
            # one through its index, or walk every row for a rare one. Plan for the actual fragment.
            await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        column, descending = SORT_KEYS[filters.sort]
        keys = [column, REQUEST.c.id]
        if after is not None:
            statement = statement.where(after_keyset(keys, after, [descending, descending]))
        order = [key.desc() if descending else key.asc() for key in keys]
        return list((await self.session.execute(statement.order_by(*order).limit(limit))).scalars())

    async def due_for_escalation(self, now: dt.datetime, limit: int) -> list[ServiceRequest]:
        """Open requests whose next escalation (1x, then 3x the resolve deadline) has come, locked."""
        elapsed = (ServiceRequest.resolve_due_at - ServiceRequest.clock_started_at).self_group()
        allowed = elapsed.op("*", return_type=Interval)(3)
        statement = (
            select(ServiceRequest)
            .where(
                ServiceRequest.status.in_(_OPEN),
                or_(
                    and_(ServiceRequest.escalation_level == 0, ServiceRequest.resolve_due_at <= now),
                    and_(ServiceRequest.escalation_level == 1, ServiceRequest.clock_started_at + allowed <= now),
                ),
            )
            .order_by(ServiceRequest.resolve_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(statement)).scalars())

    async def return_visits_overdue(self, now: dt.datetime, limit: int) -> list[ServiceRequest]:
        """Requests whose return visit is late and not yet escalated, locked."""
        statement = (
            select(ServiceRequest)
            .where(
                ServiceRequest.return_visit_due_at <= now,
                ServiceRequest.return_visited_at.is_(None),
                ServiceRequest.return_visit_escalated.is_(False),
                ServiceRequest.status.in_(_OPEN),
            )
            .order_by(ServiceRequest.return_visit_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(statement)).scalars())

    async def claim_deadline_notices(self, now: dt.datetime, limit: int) -> list[tuple[str, ServiceRequest]]:
        """Deadlines past their notice share and not yet due, each claimed by a `deadline_notice` row.

        The row's key (request, deadline, clock) makes the claim once: a racing job's insert waits for
        this transaction and then does nothing.
        """
        share = DEADLINE_NOTICE_SHARE
        claimed = await self.session.execute(
            text(f"""
            WITH due AS (
                SELECT id, 'acknowledge' AS kind, reopen_count AS clock, acknowledge_due_at AS due_at
                FROM requests.service_request
                WHERE status = ANY(:open) AND acknowledged_at IS NULL AND acknowledge_due_at > :now
                  AND created_at + (acknowledge_due_at - created_at) * {share} <= :now
                UNION ALL
                SELECT id, 'resolve', reopen_count, resolve_due_at
                FROM requests.service_request
                WHERE status = ANY(:open) AND resolve_due_at > :now
                  AND clock_started_at + (resolve_due_at - clock_started_at) * {share} <= :now
            )
            INSERT INTO requests.deadline_notice (request_id, kind, clock, due_at, created_at)
            SELECT id, kind, clock, due_at, :now FROM due
            WHERE NOT EXISTS (
                SELECT 1 FROM requests.deadline_notice AS notice
                WHERE notice.request_id = due.id AND notice.kind = due.kind AND notice.clock = due.clock
            )
            ORDER BY due_at LIMIT :limit
            ON CONFLICT DO NOTHING
            RETURNING request_id, kind
            """).bindparams(bindparam("open", type_=ARRAY(String))),
            {"open": _OPEN, "now": now, "limit": limit},
        )
        kinds = [(row.request_id, row.kind) for row in claimed]
        if not kinds:
            return []
        ids = {request_id for request_id, _ in kinds}
        rows = (await self.session.execute(select(ServiceRequest).where(ServiceRequest.id.in_(ids)))).scalars()
        by_id = {row.id: row for row in rows}
        return [(kind, by_id[request_id]) for request_id, kind in kinds]

    async def unrated_since(self, cutoff: dt.datetime, limit: int) -> list[ServiceRequest]:
        """Resolved requests nobody rated before `cutoff`, locked."""
        statement = (
            select(ServiceRequest)
            .where(ServiceRequest.status == Status.resolved.value, ServiceRequest.resolved_at <= cutoff)
            .order_by(ServiceRequest.resolved_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(statement)).scalars())

    async def lock_for_calendar_change(self) -> None:
        """Until commit, no request is written: in-flight writers finish first, later ones wait and then
        see the new calendar version (reads go on). A yearly load holds it for the recomputation."""
        await self.session.execute(text("LOCK TABLE requests.service_request IN EXCLUSIVE MODE"))

    async def running_deadlines_reaching(self, start: dt.datetime, end: dt.datetime) -> list[ServiceRequest]:
        """Open requests with a provisional deadline, or a running clock (acknowledge, resolve, a return
        visit owed) that spans part of [start, end)."""
        statement = (
            select(ServiceRequest)
            .where(
                ServiceRequest.status.in_(_RUNNING),
                or_(
                    ServiceRequest.deadlines_provisional,
                    and_(ServiceRequest.resolve_due_at >= start, ServiceRequest.clock_started_at < end),
                    and_(
                        ServiceRequest.acknowledged_at.is_(None),
                        ServiceRequest.acknowledge_due_at >= start,
                        ServiceRequest.created_at < end,
                    ),
                    and_(  # a return visit still owed after a bad rating
                        ServiceRequest.return_visited_at.is_(None),
                        ServiceRequest.return_visit_due_at >= start,
                        ServiceRequest.rated_at < end,
                    ),
                ),
            )
            .order_by(ServiceRequest.created_at, ServiceRequest.id)
            .with_for_update()
        )
        return list((await self.session.execute(statement)).scalars())

    async def stats(
        self, community_id: uuid.UUID, start: dt.datetime, end: dt.datetime, now: dt.datetime
    ) -> dict[str, Any]:
        """Counts, on-time rates, median resolve time and satisfaction, all aggregated in SQL."""
        scope = and_(
            ServiceRequest.community_id == community_id,
            ServiceRequest.created_at >= start,
            ServiceRequest.created_at < end,
        )
        resolve_hours = func.extract("epoch", ServiceRequest.resolved_at - ServiceRequest.created_at) / 3600.0
        totals = (
            await self.session.execute(
                select(
                    func.count().label("total"),
                    (
                        func.count().filter(ServiceRequest.acknowledged_at <= ServiceRequest.acknowledge_due_at)
                        / func.nullif(func.count(ServiceRequest.acknowledged_at), 0).cast(Float)
                    ).label("ack_rate"),
                    (
                        func.count().filter(ServiceRequest.resolved_at <= ServiceRequest.resolve_due_at)
                        / func.nullif(func.count(ServiceRequest.resolved_at), 0).cast(Float)
                    ).label("resolve_rate"),
                    func.percentile_cont(0.5).within_group(resolve_hours).label("median_hours"),
                    func.avg(resolve_hours).cast(Float).label("average_hours"),
                    func.count().filter(overdue_clause(now)).label("overdue"),
                    (
                        func.count().filter(ServiceRequest.rating >= 4)
                        / func.nullif(func.count(ServiceRequest.rating), 0).cast(Float)
                    ).label("satisfaction"),
                    func.avg(ServiceRequest.rating).cast(Float).label("average_rating"),
                ).where(scope)
            )
        ).one()
        by_status = (
            await self.session.execute(
                select(ServiceRequest.status, func.count())
                .where(scope)
                .group_by(ServiceRequest.status)
                .order_by(ServiceRequest.status)
            )
        ).all()
        by_category = (
            await self.session.execute(
                select(ServiceRequest.category, func.count())
                .where(scope)
                .group_by(ServiceRequest.category)
                .order_by(ServiceRequest.category)
            )
        ).all()
        rated = ServiceRequest.rating.is_not(None)
        good = ServiceRequest.rating >= GOOD_FROM
        grades = (
            await self.session.execute(
                select(ServiceRequest.rating, func.count())
                .where(scope, rated)
                .group_by(ServiceRequest.rating)
                .order_by(ServiceRequest.rating.desc())
            )
        ).all()
        loop = (
            await self.session.execute(
                select(
                    func.count().filter(ServiceRequest.rating < GOOD_FROM).label("bad"),
                    func.count()
                    .filter(ServiceRequest.return_visited_at <= ServiceRequest.return_visit_due_at)
                    .label("visited_on_time"),
                    func.count(ServiceRequest.follow_up_rating).label("followed_up"),
                    func.count().filter(ServiceRequest.follow_up_rating >= GOOD_FROM).label("followed_up_good"),
                ).where(scope)
            )
        ).one()
        by_type = (
            await self.session.execute(
                select(
                    ServiceRequest.type_id,
                    func.count().filter(rated).label("rated"),
                    (func.count().filter(good) / func.nullif(func.count().filter(rated), 0).cast(Float)).label("good"),
                    func.avg(ServiceRequest.rating).cast(Float).label("average"),
                )
                .where(scope)
                .group_by(ServiceRequest.type_id)
                .order_by(ServiceRequest.type_id)
            )
        ).all()
        per_grade: dict[int, int] = {int(grade): int(count) for grade, count in grades if grade is not None}
        rated_total = sum(per_grade.values())
        good_total = sum(count for grade, count in per_grade.items() if grade >= GOOD_FROM)
        return {
            "total": totals.total,
            "rating_grades": [{"key": str(grade), "count": count} for grade, count in per_grade.items()],
            "good_rating_rate": good_total / rated_total if rated_total else None,
            "bad_ratings": loop.bad,
            "return_visits_on_time_rate": loop.visited_on_time / loop.bad if loop.bad else None,
            "follow_up_ratings": loop.followed_up,
            "follow_up_good_rate": loop.followed_up_good / loop.followed_up if loop.followed_up else None,
            "by_service_type": [
                {"service_type_id": type_id, "rated": count, "good_rating_rate": rate, "average_rating": average}
                for type_id, count, rate, average in by_type
            ],
            "acknowledged_on_time_rate": totals.ack_rate,
            "resolved_on_time_rate": totals.resolve_rate,
            "median_resolve_hours": totals.median_hours,
            "average_resolve_hours": totals.average_hours,
            "overdue": totals.overdue,
            "satisfaction_rate": totals.satisfaction,
            "average_rating": totals.average_rating,
            "by_status": [{"key": key, "count": count} for key, count in by_status],
            "by_category": [{"key": key, "count": count} for key, count in by_category],
        }

    async def record(self, event_type: str, request_id: uuid.UUID, payload: dict[str, Any]) -> None:
        """Append a domain event about a request to the outbox, in this unit of work's transaction."""
        await record_event(
            self.session, platform_tables.outbox_event, event_type, "service_request", request_id, payload
        )


GOOD_FROM = 3  # 好评: 非常满意 (5), 满意 (4) and 基本满意 (3); 差评: 不满意 (2), 非常不满意 (1)


# each sort of the list: its keyset column (then the id, in the same direction) and whether it descends
SORT_KEYS: dict[str, tuple[ColumnElement[Any], bool]] = {
    "-created_at": (REQUEST.c.created_at, True),
    "created_at": (REQUEST.c.created_at, False),
    "resolve_due_at": (REQUEST.c.resolve_due_at, False),
    "-resolve_due_at": (REQUEST.c.resolve_due_at, True),
}


def shanghai_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI)


# LIKE is the exact check, and the description's two search indexes find the candidates: pg_trgm's
# serves LIKE itself from three characters on; a shorter fragment (most Chinese searches) has no
# trigram, so the text must hold each of its characters (`ix_service_request_description_characters`).
_CHARACTERS = func.string_to_array(ServiceRequest.description, null(), type_=PG_ARRAY(SqlText))


def description_contains(fragment: str) -> list[ColumnElement[bool]]:
    """The conditions for "the description contains `fragment`", in the index's own terms."""
    like = ServiceRequest.description.like(like_fragment(fragment))
    if len(fragment) >= 3:
        return [like]
    return [_CHARACTERS.contains(sorted(set(fragment))), like]


def _where(filters: ListFilters, now: dt.datetime) -> list[ColumnElement[bool]]:
    """WHERE clauses of the list's filters."""
    clauses: list[ColumnElement[bool]] = []
    if filters.status is not None:
        clauses.append(ServiceRequest.status == filters.status.value)
    if filters.category is not None:
        clauses.append(ServiceRequest.category == filters.category)
    if filters.scenario is not None:
        clauses.append(ServiceRequest.scenario == filters.scenario)
    if filters.type_id is not None:
        clauses.append(ServiceRequest.type_id == filters.type_id)
    if filters.community_id is not None:
        clauses.append(ServiceRequest.community_id == filters.community_id)
    if filters.overdue is not None:
        clause = overdue_clause(now)
        clauses.append(clause if filters.overdue else ~clause)
    if filters.created_from is not None:
        clauses.append(ServiceRequest.created_at >= shanghai_midnight(filters.created_from))
    if filters.created_to is not None:
        clauses.append(ServiceRequest.created_at < shanghai_midnight(filters.created_to + dt.timedelta(days=1)))
    if filters.enterprise_id is not None:
        clauses.append(ServiceRequest.enterprise_id == filters.enterprise_id)
    if filters.handler is not None:
        clauses.append(ServiceRequest.assignee_subject == filters.handler)
    if filters.q is not None:
        clauses.extend(description_contains(filters.q))
    return clauses
