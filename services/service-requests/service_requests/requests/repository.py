"""SQL for requests: Core on the submission hot path, the ORM for workflow updates."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Float,
    Interval,
    Row,
    Table,
    and_,
    false,
    func,
    insert,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from service_requests.catalogue.models import ServiceType
from service_requests.database import platform_tables, webhook_tables
from service_requests.requests.models import RequestEvent, ServiceRequest
from service_requests.requests.workflow import OPEN_FOR_HANDLER, Status
from shared.auth import Identity, Role
from shared.hot_path import FairPool
from shared.pagination import after_keyset
from shared.webhooks import enqueue

REQUEST = cast(Table, ServiceRequest.__table__)
EVENT = cast(Table, RequestEvent.__table__)
TYPE = cast(Table, ServiceType.__table__)
DUPLICATE_SIMILARITY = 0.3
DUPLICATE_WINDOW = dt.timedelta(days=30)
# The hint shows the most recent similar requests, most similar first. They are looked for
# newest first among at most the 20 most recent of the window (an index range read, not a
# trigram comparison with everything an enterprise filed that month), and the comparing stops
# once `DUPLICATES_SHOWN` are found: similarity() is most of a submission's database time.
DUPLICATE_CANDIDATES = 20
DUPLICATES_SHOWN = 5
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


# The submission columns in parameter order, with their array types: a submission is one row of
# arrays, so the same statement files one request or a batch of them (see `shared.hot_path.Batcher`).
SUBMIT_COLUMNS = (
    ("id", "uuid"), ("type_id", "uuid"), ("type_version", "int"), ("type_snapshot", "text"), ("category", "text"),
    ("scenario", "text"), ("community_id", "uuid"), ("enterprise_id", "uuid"), ("requester_subject", "text"),
    ("requester_role", "text"), ("description", "text"), ("answers", "text"), ("building_id", "uuid"),
    ("floor", "int"), ("latitude", "float8"), ("longitude", "float8"), ("address", "text"),
    ("attachments", "text"), ("handler_kind", "text"), ("routed_partner_id", "uuid"),
    ("acknowledge_due_at", "timestamptz"), ("resolve_due_at", "timestamptz"), ("created_at", "timestamptz"),
    ("history_id", "uuid"), ("event_id", "uuid"), ("event_payload", "text"), ("duplicates_since", "timestamptz"),
    ("share_consent_at", "timestamptz"), ("deadlines_provisional", "bool"), ("calendar_version", "int8"),
)  # fmt: skip
_SUBMIT = """
WITH input AS (
    SELECT * FROM unnest({arrays}) WITH ORDINALITY AS input ({names}, n)
), accepted AS (
    SELECT input.* FROM input
    WHERE EXISTS (
        SELECT 1 FROM requests.service_type AS t
        WHERE t.id = input.type_id AND t.version = input.type_version AND t.active
    )
    -- deadlines computed with the calendar version the database has now (else: re-read, retry)
    AND input.calendar_version = coalesce((SELECT version FROM requests.calendar_state WHERE id = 1), 0)
), inserted AS (
    INSERT INTO requests.service_request (
        id, type_id, type_version, type_snapshot, category, scenario, community_id, enterprise_id,
        requester_subject, requester_role, status, description, answers, building_id, floor, latitude,
        longitude, address, attachments, handler_kind, routed_partner_id, acknowledge_due_at, resolve_due_at,
        clock_started_at, escalation_level, reopen_count, version, created_at, updated_at, share_consent_at,
        deadlines_provisional
    )
    SELECT id, type_id, type_version, type_snapshot::jsonb, category, scenario, community_id, enterprise_id,
        requester_subject, requester_role, 'submitted', description, answers::jsonb, building_id, floor, latitude,
        longitude, address, attachments::jsonb, handler_kind, routed_partner_id, acknowledge_due_at, resolve_due_at,
        created_at, 0, 0, 1, created_at, created_at, share_consent_at, deadlines_provisional
    FROM accepted
), history AS (
    INSERT INTO requests.request_event (
        id, request_id, kind, actor_subject, actor_role, action, to_status, internal, data, created_at
    )
    SELECT history_id, id, 'transition', requester_subject, requester_role, 'submit', 'submitted', false,
        '{{}}'::jsonb, created_at
    FROM accepted
), event AS (
    INSERT INTO requests.outbox_event (event_id, type, aggregate_type, aggregate_id, payload)
    SELECT event_id, 'RequestSubmitted', 'service_request', id, event_payload::jsonb FROM accepted
)
SELECT input.n, accepted.n IS NOT NULL AS inserted, duplicate.*
FROM input
LEFT JOIN accepted ON accepted.n = input.n
LEFT JOIN LATERAL (
    -- newest first, and no sort before the LIMIT: similarity is computed only until enough match
    SELECT recent.* FROM (
        SELECT r.id, r.description, r.status, r.created_at, similarity(r.description, input.description) AS similarity
        FROM requests.service_request AS r
        WHERE r.type_id = input.type_id AND {owner} AND r.created_at >= input.duplicates_since
        ORDER BY r.created_at DESC
        LIMIT {window}
    ) AS recent
    WHERE recent.similarity >= {threshold}
    LIMIT {shown}
) AS duplicate ON true
ORDER BY input.n, duplicate.similarity DESC
"""


def _submit_statement(owner: str) -> str:
    arrays = ", ".join(f"${index}::{kind}[]" for index, (_, kind) in enumerate(SUBMIT_COLUMNS, start=1))
    names = ", ".join(name for name, _ in SUBMIT_COLUMNS)
    return _SUBMIT.format(
        arrays=arrays,
        names=names,
        owner=owner,
        threshold=DUPLICATE_SIMILARITY,
        window=DUPLICATE_CANDIDATES,
        shown=DUPLICATES_SHOWN,
    )


SUBMIT_BY_ENTERPRISE = _submit_statement("r.enterprise_id = input.enterprise_id")
SUBMIT_BY_REQUESTER = _submit_statement("r.requester_subject = input.requester_subject")


class Submitted(NamedTuple):
    inserted: bool
    similar: list[Any]  # records: id, description, status, created_at, similarity


async def submit_rows(statement: str, connection: Any, rows: Sequence[dict[str, Any]]) -> list[Submitted]:
    """File `rows` with one execution of `statement` (a row is one element of each array)."""
    arrays = [[row[name] for row in rows] for name, _ in SUBMIT_COLUMNS]
    inserted = [False] * len(rows)
    similar: list[list[Any]] = [[] for _ in rows]
    for record in await connection.fetch(statement, *arrays):
        index = record["n"] - 1
        inserted[index] = record["inserted"]
        if record["id"] is not None:
            similar[index].append(record)
    return [Submitted(flag, found) for flag, found in zip(inserted, similar, strict=True)]


# by whether the requester has an enterprise: the batcher's name and its statement
_SUBMITTERS = {
    True: ("submit_request_by_enterprise", partial(submit_rows, SUBMIT_BY_ENTERPRISE)),
    False: ("submit_request_by_requester", partial(submit_rows, SUBMIT_BY_REQUESTER)),
}


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def service_type_row(self, type_id: uuid.UUID) -> Row[Any] | None:
        """The columns of a type a submission needs, in one Core query."""
        return (await self.session.execute(select(TYPE).where(TYPE.c.id == type_id))).first()

    async def submit(self, values: dict[str, Any], pool: FairPool | None = None) -> Submitted:
        """Request, history row and outbox event in one statement, plus duplicate candidates.

        The hot path: on `pool`, autocommitted and batched with concurrent submissions into one
        statement; without it, on the session's own asyncpg connection (in the transaction of an
        Idempotency-Key claim). Nothing is written when the type changed since `type_version`.
        """
        name, execute = _SUBMITTERS[values["enterprise_id"] is not None]
        if pool is not None:
            return await pool.batcher(name, execute).run(values)
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        return (await execute(raw.driver_connection, [values]))[0]

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
        filters: Sequence[ColumnElement[bool]],
        after: Sequence[Any] | None,
        limit: int,
    ) -> list[ServiceRequest]:
        statement = select(ServiceRequest).where(visible_to(identity), *filters)
        if after is not None:
            statement = statement.where(after_keyset([REQUEST.c.created_at, REQUEST.c.id], after, [True, True]))
        statement = statement.order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc()).limit(limit)
        return list((await self.session.execute(statement)).scalars())

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
        """Open requests with a provisional deadline, or a running clock that spans part of [start, end)."""
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
                ),
            )
            .order_by(ServiceRequest.created_at, ServiceRequest.id)
            .with_for_update()
        )
        return list((await self.session.execute(statement)).scalars())

    async def stats(self, community_id: uuid.UUID, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
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
            "satisfaction_rate": totals.satisfaction,
            "average_rating": totals.average_rating,
            "by_status": [{"key": key, "count": count} for key, count in by_status],
            "by_category": [{"key": key, "count": count} for key, count in by_category],
        }


GOOD_FROM = 3  # 好评: 非常满意 (5), 满意 (4) and 基本满意 (3); 差评: 不满意 (2), 非常不满意 (1)
_INSERT_OUTBOX = insert(platform_tables.outbox_event)


async def record(session: AsyncSession, event_type: str, request_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Append a domain event about a request to the outbox, in the caller's transaction.

    The same row `shared.outbox.record_event` writes, as one precompiled statement (hot path).
    """
    await session.execute(
        _INSERT_OUTBOX,
        {
            "event_id": uuid.uuid4(),
            "type": event_type,
            "aggregate_type": "service_request",
            "aggregate_id": request_id,
            "payload": payload,
        },
    )
