"""SQL of the submission: the request, its history row and its outbox event in one statement.

The hot path of the service (docs/service-requests.md): `SubmissionRepository.submit` is the only
place that chooses it (`Repository.batcher()`). A submission alone in its unit of work (no
transaction open yet, no partner to notify with it) is one autocommitted statement, batched with
concurrent ones into one execution (`shared.hot_path.Batcher`); one that must share a transaction
(an Idempotency-Key claim already in the session, a routed request whose partner is notified in
it) runs the same statement on the session's own connection.

The statement writes the outbox row itself (the same columns `shared.outbox.record_event` writes):
one statement, so the event commits with the request whichever way it runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, select

from service_requests.catalogue.models import ServiceType
from service_requests.requests.models import NewRequest
from shared.jsonutil import dumps
from shared.uow import Repository

TYPE = cast(Table, ServiceType.__table__)
DUPLICATE_SIMILARITY = 0.3
DUPLICATE_WINDOW = dt.timedelta(days=30)
# The hint shows the most recent similar requests, most similar first. They are looked for
# newest first among at most the 20 most recent of the window (an index range read, not a
# trigram comparison with everything an enterprise filed that month), and the comparing stops
# once `DUPLICATES_SHOWN` are found: similarity() is most of a submission's database time.
DUPLICATE_CANDIDATES = 20
DUPLICATES_SHOWN = 5


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


class Similar(NamedTuple):
    """A recent request of the same requester (or enterprise) and type with a similar description."""

    id: uuid.UUID
    description: str
    status: str
    created_at: dt.datetime
    similarity: float


class Submitted(NamedTuple):
    inserted: bool
    similar: list[Similar]


SubmitRow = tuple[object, ...]
"""One submission as the statement's parameters: a value per `SUBMIT_COLUMNS`, in order."""


def submit_row(new: NewRequest, submitted_payload: dict[str, Any], duplicates_since: dt.datetime) -> SubmitRow:
    """The statement's parameters for `new` (JSON columns as text: the statement casts them)."""
    values: dict[str, object] = {
        "id": new.id,
        "type_id": new.type_id,
        "type_version": new.type_version,
        "type_snapshot": dumps(new.type_snapshot).decode(),
        "category": new.category,
        "scenario": new.scenario,
        "community_id": new.community_id,
        "enterprise_id": new.enterprise_id,
        "requester_subject": new.requester_subject,
        "requester_role": new.requester_role,
        "description": new.description,
        "answers": dumps(new.answers).decode(),
        "building_id": new.building_id,
        "floor": new.floor,
        "latitude": new.latitude,
        "longitude": new.longitude,
        "address": new.address,
        "attachments": dumps(new.attachments).decode(),
        "handler_kind": new.handler_kind,
        "routed_partner_id": new.routed_partner_id,
        "acknowledge_due_at": new.acknowledge_due_at,
        "resolve_due_at": new.resolve_due_at,
        "created_at": new.created_at,
        "history_id": uuid.uuid4(),
        "event_id": uuid.uuid4(),
        "event_payload": dumps(submitted_payload).decode(),
        "duplicates_since": duplicates_since,
        "share_consent_at": new.share_consent_at,
        "deadlines_provisional": new.deadlines_provisional,
        "calendar_version": new.calendar_version,
    }
    return tuple(values[name] for name, _ in SUBMIT_COLUMNS)


async def submit_rows(statement: str, connection: Any, rows: Sequence[SubmitRow]) -> list[Submitted]:
    """File `rows` with one execution of `statement` (a row is one element of each array)."""
    arrays = [list(column) for column in zip(*rows, strict=True)]
    inserted = [False] * len(rows)
    similar: list[list[Similar]] = [[] for _ in rows]
    for record in await connection.fetch(statement, *arrays):
        index = record["n"] - 1
        inserted[index] = record["inserted"]
        if record["id"] is not None:
            similar[index].append(
                Similar(
                    record["id"], record["description"], record["status"], record["created_at"], record["similarity"]
                )
            )
    return [Submitted(flag, found) for flag, found in zip(inserted, similar, strict=True)]


@dataclass(frozen=True, slots=True)
class SubmissionType:
    """The columns of a service type a submission needs (cached per process by the service)."""

    id: uuid.UUID
    community_id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    version: int
    category: str
    scenario: str
    requester_roles: list[Any]
    form: list[Any]
    handler_kind: str
    handler_partner_ids: list[Any]
    handler_share_description: bool
    acknowledge_amount: int
    acknowledge_unit: str
    resolve_amount: int
    resolve_unit: str
    active: bool


def _plain_uuid(value: uuid.UUID) -> uuid.UUID:
    """asyncpg's UUID subclass as a plain UUID (orjson serialises only the latter)."""
    return value if type(value) is uuid.UUID else uuid.UUID(bytes=value.bytes)


_SUBMISSION_TYPE_COLUMNS = [TYPE.c[field.name] for field in dataclasses.fields(SubmissionType)]


# by whether the requester has an enterprise: the batcher's name and its statement
_SUBMITTERS = {
    True: ("submit_request_by_enterprise", partial(submit_rows, SUBMIT_BY_ENTERPRISE)),
    False: ("submit_request_by_requester", partial(submit_rows, SUBMIT_BY_REQUESTER)),
}


class SubmissionRepository(Repository):
    async def submission_type(self, type_id: uuid.UUID) -> SubmissionType | None:
        """The columns of a type a submission needs, in one Core query."""
        row = (await self.session.execute(select(*_SUBMISSION_TYPE_COLUMNS).where(TYPE.c.id == type_id))).first()
        if row is None:
            return None
        values = row._asdict()
        values["id"], values["community_id"] = _plain_uuid(values["id"]), _plain_uuid(values["community_id"])
        return SubmissionType(**values)

    async def submit(
        self, new: NewRequest, submitted_payload: dict[str, Any], duplicates_since: dt.datetime
    ) -> Submitted:
        """Request, history row and outbox event in one statement, plus duplicate candidates.

        The hot path, when the submission is alone in its unit of work (no transaction open yet,
        no partner to notify with it): autocommitted and batched with concurrent submissions into
        one statement. Otherwise on the session's own connection, in its transaction (for example
        an Idempotency-Key claim). Nothing is written when the type changed since `type_version`.
        """
        name, execute = _SUBMITTERS[new.enterprise_id is not None]
        row = submit_row(new, submitted_payload, duplicates_since)
        alone = new.routed_partner_id is None and not self.session.in_transaction()
        batcher = self.batcher(name, execute) if alone else None
        if batcher is not None:
            return await batcher.run(row)
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        return (await execute(raw.driver_connection, [row]))[0]
