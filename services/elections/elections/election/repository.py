"""All SQL of the elections domain. The cast path uses Core: it is the hot write path."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import Row, Table, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from elections.election.models import (
    Ballot,
    Candidate,
    Certification,
    CurrentBallot,
    Election,
    ElectionSecret,
    LogEntry,
    Nomination,
    Objection,
    RollEntry,
)
from shared.jsonutil import dumps

ballot_table = cast(Table, Ballot.__table__)
current_table = cast(Table, CurrentBallot.__table__)
log_table = cast(Table, LogEntry.__table__)


async def get_election(session: AsyncSession, election_id: uuid.UUID, *, for_update: bool = False) -> Election | None:
    query = select(Election).where(Election.id == election_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_elections(
    session: AsyncSession, community_id: uuid.UUID | None, after: tuple[Any, ...] | None, limit: int
) -> Sequence[Election]:
    query = select(Election).order_by(Election.created_at.desc(), Election.id.desc()).limit(limit)
    if community_id is not None:
        query = query.where(Election.community_id == community_id)
    if after is not None:
        query = query.where(
            text("(created_at, id) < (CAST(:created AS timestamptz), CAST(:id AS uuid))").bindparams(
                created=after[0], id=after[1]
            )
        )
    return (await session.execute(query)).scalars().all()


def add(session: AsyncSession, instance: object) -> None:
    session.add(instance)


async def flush(session: AsyncSession) -> None:
    await session.flush()


# -- candidates, nominations, objections ------------------------------------------------------


async def get_candidate(
    session: AsyncSession, election_id: uuid.UUID, candidate_id: uuid.UUID, *, for_update: bool = False
) -> Candidate | None:
    query = select(Candidate).where(Candidate.id == candidate_id, Candidate.election_id == election_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_candidates(session: AsyncSession, election_id: uuid.UUID) -> list[tuple[Candidate, int]]:
    backers = (
        select(func.count()).select_from(Nomination).where(Nomination.candidate_id == Candidate.id).scalar_subquery()
    )
    rows = await session.execute(
        select(Candidate, backers)
        .where(Candidate.election_id == election_id)
        .order_by(Candidate.ballot_number.nulls_last(), Candidate.name, Candidate.id)
    )
    return [(candidate, int(count)) for candidate, count in rows.all()]


async def nomination_count(session: AsyncSession, candidate_id: uuid.UUID) -> int:
    value = await session.scalar(
        select(func.count()).select_from(Nomination).where(Nomination.candidate_id == candidate_id)
    )
    return int(value or 0)


async def add_nomination(
    session: AsyncSession, candidate_id: uuid.UUID, enterprise_id: uuid.UUID, subject: str
) -> bool:
    """Back a candidate; False when this enterprise already backs it."""
    inserted = await session.execute(
        pg_insert(Nomination)
        .values(candidate_id=candidate_id, enterprise_id=enterprise_id, representative_subject=subject)
        .on_conflict_do_nothing()
        .returning(Nomination.candidate_id)
    )
    return inserted.first() is not None


async def get_objection(session: AsyncSession, election_id: uuid.UUID, objection_id: uuid.UUID) -> Objection | None:
    query = select(Objection).where(Objection.id == objection_id, Objection.election_id == election_id)
    return (await session.execute(query.with_for_update())).scalar_one_or_none()


async def open_objections(session: AsyncSession, election_id: uuid.UUID) -> int:
    value = await session.scalar(
        select(func.count())
        .select_from(Objection)
        .where(Objection.election_id == election_id, Objection.status == "open")
    )
    return int(value or 0)


async def list_objections(session: AsyncSession, election_id: uuid.UUID) -> Sequence[Objection]:
    query = select(Objection).where(Objection.election_id == election_id).order_by(Objection.created_at, Objection.id)
    return (await session.execute(query)).scalars().all()


# -- roll -------------------------------------------------------------------------------------


async def insert_roll(session: AsyncSession, election_id: uuid.UUID, items: Sequence[dict[str, Any]]) -> None:
    if items:
        await session.execute(insert(RollEntry), [{"election_id": election_id, **item} for item in items])


async def list_roll(session: AsyncSession, election_id: uuid.UUID) -> Sequence[RollEntry]:
    query = select(RollEntry).where(RollEntry.election_id == election_id).order_by(RollEntry.uscc)
    return (await session.execute(query)).scalars().all()


async def get_roll_entry(session: AsyncSession, election_id: uuid.UUID, enterprise_id: uuid.UUID) -> RollEntry | None:
    query = select(RollEntry).where(RollEntry.election_id == election_id, RollEntry.enterprise_id == enterprise_id)
    return (await session.execute(query.with_for_update())).scalar_one_or_none()


async def delete_roll_entry(session: AsyncSession, election_id: uuid.UUID, enterprise_id: uuid.UUID) -> None:
    await session.execute(
        delete(RollEntry).where(RollEntry.election_id == election_id, RollEntry.enterprise_id == enterprise_id)
    )


async def roll_entries_of_enterprise(
    session: AsyncSession, enterprise_id: uuid.UUID, statuses: Sequence[str]
) -> Sequence[Row[RollEntry, Election]]:
    """The enterprise's roll entries in elections in the given states (for registry events)."""
    query = (
        select(RollEntry, Election)
        .join(Election, Election.id == RollEntry.election_id)
        .where(RollEntry.enterprise_id == enterprise_id, Election.status.in_(statuses))
        .order_by(Election.id)
        .with_for_update(of=Election)
    )
    return (await session.execute(query)).all()


async def set_representative(
    session: AsyncSession, enterprise_id: uuid.UUID, subject: str | None, election_ids: Sequence[uuid.UUID]
) -> None:
    if election_ids:
        await session.execute(
            update(RollEntry)
            .where(RollEntry.enterprise_id == enterprise_id, RollEntry.election_id.in_(election_ids))
            .values(representative_subject=subject)
        )


# -- secret link key --------------------------------------------------------------------------


async def insert_secret(session: AsyncSession, election_id: uuid.UUID, key: bytes) -> None:
    await session.execute(
        pg_insert(ElectionSecret).values(election_id=election_id, link_key=key).on_conflict_do_nothing()
    )


async def get_secret(session: AsyncSession, election_id: uuid.UUID) -> bytes | None:
    return await session.scalar(select(ElectionSecret.link_key).where(ElectionSecret.election_id == election_id))


async def destroy_secret(session: AsyncSession, election_id: uuid.UUID) -> None:
    await session.execute(delete(ElectionSecret).where(ElectionSecret.election_id == election_id))


# -- casting (Core, few round trips) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CastContext:
    status: str
    round_no: int
    round_spec: dict[str, Any] | None
    link_key: bytes | None
    on_roll: bool
    entitled: bool
    representative_subject: str | None


def _lock_key(*parts: object) -> int:
    """A signed 64-bit advisory lock key for these parts."""
    material = ":".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:8], "big", signed=True)


async def lock_out_casts(session: AsyncSession, election_id: uuid.UUID) -> None:
    """Wait for every cast in flight and keep new ones out until this transaction ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:election)"), {"election": _lock_key("cast", election_id)})


@asynccontextmanager
async def cast_transaction(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection in a transaction, committed on exit: the hot path skips the ORM session."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection
        async with driver.transaction():
            yield driver


async def lock_for_cast(
    connection: asyncpg.Connection, election_id: uuid.UUID, enterprise_id: uuid.UUID
) -> CastContext | None:
    """Shared lock on the election's casting (closing takes it exclusively, so it waits for casts in
    flight) and the voter's own lock (their casts replace each other in serial order), then the
    election state, key and roll entry read after both: one round trip (`elections.lock_for_cast`)."""
    row = await connection.fetchrow(
        "SELECT * FROM elections.lock_for_cast($1, $2, $3, $4)",
        election_id,
        enterprise_id,
        _lock_key("cast", election_id),
        _lock_key("voter", election_id, enterprise_id),
    )
    if row is None:
        return None
    return CastContext(
        status=row["status"],
        round_no=row["current_round"],
        round_spec=row["round_spec"],
        link_key=row["link_key"],
        on_roll=row["on_roll"],
        entitled=row["entitled"],
        representative_subject=row["representative_subject"],
    )


_CAST_SQL = """
    WITH previous AS (
        SELECT ballot_id FROM elections.current_ballot
        WHERE election_id = $2 AND round_no = $3 AND voter_link = $6
    ), new_ballot AS (
        INSERT INTO elections.ballot (id, election_id, round_no, choices, tracker, replaces_ballot_id)
        VALUES ($1, $2, $3, $4::jsonb, $5, (SELECT ballot_id FROM previous))
        RETURNING id, serial, cast_at, replaces_ballot_id
    ), counted AS (
        INSERT INTO elections.current_ballot (election_id, round_no, voter_link, ballot_id)
        SELECT $2, $3, $6, id FROM new_ballot
        ON CONFLICT (election_id, round_no, voter_link) DO UPDATE SET ballot_id = excluded.ballot_id
    )
    SELECT serial, cast_at, replaces_ballot_id IS NOT NULL AS replaced FROM new_ballot
"""


async def insert_ballot(
    connection: asyncpg.Connection,
    *,
    ballot_id: uuid.UUID,
    election_id: uuid.UUID,
    round_no: int,
    choices: list[str],
    tracker: str,
    voter_link: bytes,
) -> asyncpg.Record:
    """Insert the ballot, replacing the voter's counted one (upsert on the HMAC link), in one statement."""
    row: asyncpg.Record = await connection.fetchrow(
        _CAST_SQL, ballot_id, election_id, round_no, dumps(choices).decode(), tracker, voter_link
    )
    return row


async def voter_has_ballot(session: AsyncSession, election_id: uuid.UUID, voter_link: bytes) -> bool:
    value = await session.scalar(
        select(func.count())
        .select_from(current_table)
        .where(current_table.c.election_id == election_id, current_table.c.voter_link == voter_link)
    )
    return bool(value)


async def ballots_cast(session: AsyncSession, election_id: uuid.UUID, round_no: int) -> int:
    value = await session.scalar(
        select(func.count())
        .select_from(current_table)
        .where(current_table.c.election_id == election_id, current_table.c.round_no == round_no)
    )
    return int(value or 0)


async def unlogged_ballots(session: AsyncSession, election_id: uuid.UUID, after_serial: int) -> Sequence[Any]:
    """Ballots not yet in the log, in cast order, with the tracker of the ballot each replaced."""
    replaced = ballot_table.alias("replaced")
    query = (
        select(
            ballot_table.c.serial,
            ballot_table.c.round_no,
            ballot_table.c.tracker,
            ballot_table.c.choices,
            replaced.c.tracker.label("replaced_tracker"),
        )
        .select_from(ballot_table.outerjoin(replaced, replaced.c.id == ballot_table.c.replaces_ballot_id))
        .where(ballot_table.c.election_id == election_id, ballot_table.c.serial > after_serial)
        .order_by(ballot_table.c.serial)
    )
    return (await session.execute(query)).all()


async def counted_ballots(session: AsyncSession, election_id: uuid.UUID) -> dict[int, list[list[str]]]:
    """The counted ballot of every voter, per round."""
    query = (
        select(ballot_table.c.round_no, ballot_table.c.choices)
        .select_from(current_table.join(ballot_table, ballot_table.c.id == current_table.c.ballot_id))
        .where(current_table.c.election_id == election_id)
    )
    rounds: dict[int, list[list[str]]] = {}
    for round_no, choices in (await session.execute(query)).all():
        rounds.setdefault(round_no, []).append(choices)
    return rounds


async def all_ballots(session: AsyncSession, election_id: uuid.UUID, max_round: int) -> Sequence[Any]:
    counted = select(current_table.c.ballot_id).where(current_table.c.election_id == election_id)
    query = (
        select(
            ballot_table.c.round_no,
            ballot_table.c.tracker,
            ballot_table.c.choices,
            ballot_table.c.id.in_(counted).label("counted"),
        )
        .where(ballot_table.c.election_id == election_id, ballot_table.c.round_no <= max_round)
        .order_by(ballot_table.c.round_no, ballot_table.c.tracker)
    )
    return (await session.execute(query)).all()


async def find_tracker(session: AsyncSession, election_id: uuid.UUID, tracker: str) -> Row[Any] | None:
    counted = select(current_table.c.ballot_id).where(current_table.c.ballot_id == ballot_table.c.id).exists()
    logged = (
        select(log_table.c.seq)
        .where(
            log_table.c.election_id == election_id,
            log_table.c.type == "ballot_cast",
            log_table.c.payload["tracker"].astext == tracker,
        )
        .scalar_subquery()
    )
    query = select(ballot_table.c.round_no, counted.label("counted"), logged.label("log_seq")).where(
        ballot_table.c.election_id == election_id, ballot_table.c.tracker == tracker
    )
    return (await session.execute(query)).first()


# -- log --------------------------------------------------------------------------------------


async def log_head(session: AsyncSession, election_id: uuid.UUID) -> tuple[int, str] | None:
    row = (
        await session.execute(
            select(log_table.c.seq, log_table.c.hash)
            .where(log_table.c.election_id == election_id)
            .order_by(log_table.c.seq.desc())
            .limit(1)
        )
    ).first()
    return (int(row.seq), str(row.hash)) if row else None


async def insert_log_entries(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        await session.execute(insert(log_table), list(entries))


async def log_entries(session: AsyncSession, election_id: uuid.UUID) -> Sequence[Row[Any]]:
    query = select(log_table).where(log_table.c.election_id == election_id).order_by(log_table.c.seq)
    return (await session.execute(query)).all()


# -- certification ----------------------------------------------------------------------------


async def add_certification(session: AsyncSession, election_id: uuid.UUID, subject: str, result_hash: str) -> None:
    await session.execute(
        pg_insert(Certification)
        .values(election_id=election_id, observer_subject=subject, result_hash=result_hash)
        .on_conflict_do_update(index_elements=["election_id", "observer_subject"], set_={"result_hash": result_hash})
    )


async def certifications_for(session: AsyncSession, election_id: uuid.UUID, result_hash: str) -> list[str]:
    query = select(Certification.observer_subject).where(
        Certification.election_id == election_id, Certification.result_hash == result_hash
    )
    return sorted((await session.execute(query)).scalars().all())
