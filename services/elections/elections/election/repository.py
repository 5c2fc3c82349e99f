"""All SQL of the elections domain. The cast path uses Core: it is the hot write path."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import Row, Table, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

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
from shared.jsonutil import dumps, loads

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
class OpenRound:
    """What a cast needs before its statement: the open round, its ballot spec and the link key."""

    round_no: int
    round_spec: dict[str, Any]
    link_key: bytes


async def open_round(connection: asyncpg.Connection, election_id: uuid.UUID) -> tuple[str, OpenRound | None] | None:
    """The election's status and, when it has a round spec and a key, that round; None when there is
    no such election. Unlocked: `cast_ballot` re-checks everything under the casting locks."""
    row = await connection.fetchrow(
        "SELECT e.status::text AS status, e.current_round, e.round_spec, s.link_key FROM elections.election AS e "
        "LEFT JOIN elections.election_secret AS s ON s.election_id = e.id WHERE e.id = $1",
        election_id,
    )
    if row is None:
        return None
    spec, key = row["round_spec"], row["link_key"]
    if spec is None or key is None:
        return row["status"], None
    spec = loads(spec) if isinstance(spec, str) else spec
    return row["status"], OpenRound(round_no=row["current_round"], round_spec=spec, link_key=bytes(key))


def _lock_key(*parts: object) -> int:
    """A signed 64-bit advisory lock key for these parts."""
    material = ":".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:8], "big", signed=True)


async def lock_out_casts(session: AsyncSession, election_id: uuid.UUID) -> None:
    """Wait for every cast in flight and keep new ones out until this transaction ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:election)"), {"election": _lock_key("cast", election_id)})


async def cast_ballot(
    connection: asyncpg.Connection,
    *,
    election_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    subject: str,
    round_no: int,
    ballot: tuple[uuid.UUID, list[str], str, bytes] | None,
) -> asyncpg.Record:
    """Lock, check and (given `ballot` = id, choices, tracker, voter link) cast, in one autocommitted
    statement (`elections.cast_ballot`): one round trip. Without `ballot` it only checks."""
    ballot_id, choices, tracker, link = ballot if ballot is not None else (None, None, None, None)
    row: asyncpg.Record = await connection.fetchrow(
        "SELECT * FROM elections.cast_ballot($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10)",
        election_id,
        enterprise_id,
        subject,
        round_no,
        ballot_id,
        dumps(choices).decode() if choices is not None else None,
        tracker,
        link,
        _lock_key("cast", election_id),
        _lock_key("voter", election_id, enterprise_id),
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
