"""All SQL of the elections domain, in two repositories built from the unit of work.

`ElectionRepository` is the ORM side (elections, candidates, objections, the roll, the link
key, the log, certifications). `BallotRepository` holds the ballots; its cast is the hot path,
one autocommitted statement on the raw pool (`self.hot()`), and this is the only place that
chooses it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import DateTime, Row, Table, delete, func, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from elections.election.models import (
    Ballot,
    Candidate,
    Certification,
    ClosingNotice,
    CurrentBallot,
    Election,
    ElectionSecret,
    LogEntry,
    Nomination,
    Objection,
    RollEntry,
)
from elections.election.states import OPEN_FOR_VOTING
from shared.jsonutil import dumps, loads
from shared.uow import Repository

ballot_table = cast(Table, Ballot.__table__)
current_table = cast(Table, CurrentBallot.__table__)
log_table = cast(Table, LogEntry.__table__)


def lock_key(*parts: object) -> int:
    """A signed 64-bit advisory lock key for these parts."""
    material = ":".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:8], "big", signed=True)


class ElectionRepository(Repository):
    """Elections and everything staff and observers change through the ORM session."""

    async def get(self, election_id: uuid.UUID, *, for_update: bool = False) -> Election | None:
        query = select(Election).where(Election.id == election_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self, community_id: uuid.UUID | None, after: tuple[Any, ...] | None, limit: int
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
        return (await self.session.execute(query)).scalars().all()

    def add(self, instance: object) -> None:
        self.session.add(instance)

    async def flush(self) -> None:
        await self.session.flush()

    # -- candidates, nominations, objections --------------------------------------------------

    async def get_candidate(
        self, election_id: uuid.UUID, candidate_id: uuid.UUID, *, for_update: bool = False
    ) -> Candidate | None:
        query = select(Candidate).where(Candidate.id == candidate_id, Candidate.election_id == election_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list_candidates(self, election_id: uuid.UUID) -> list[tuple[Candidate, int]]:
        backers = (
            select(func.count())
            .select_from(Nomination)
            .where(Nomination.candidate_id == Candidate.id)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(Candidate, backers)
            .where(Candidate.election_id == election_id)
            .order_by(Candidate.ballot_number.nulls_last(), Candidate.name, Candidate.id)
        )
        return [(candidate, int(count)) for candidate, count in rows.all()]

    async def nomination_count(self, candidate_id: uuid.UUID) -> int:
        value = await self.session.scalar(
            select(func.count()).select_from(Nomination).where(Nomination.candidate_id == candidate_id)
        )
        return int(value or 0)

    async def add_nomination(self, candidate_id: uuid.UUID, enterprise_id: uuid.UUID, subject: str) -> bool:
        """Back a candidate; False when this enterprise already backs it."""
        inserted = await self.session.execute(
            pg_insert(Nomination)
            .values(candidate_id=candidate_id, enterprise_id=enterprise_id, representative_subject=subject)
            .on_conflict_do_nothing()
            .returning(Nomination.candidate_id)
        )
        return inserted.first() is not None

    async def get_objection(self, election_id: uuid.UUID, objection_id: uuid.UUID) -> Objection | None:
        query = select(Objection).where(Objection.id == objection_id, Objection.election_id == election_id)
        return (await self.session.execute(query.with_for_update())).scalar_one_or_none()

    async def open_objections(self, election_id: uuid.UUID) -> int:
        value = await self.session.scalar(
            select(func.count())
            .select_from(Objection)
            .where(Objection.election_id == election_id, Objection.status == "open")
        )
        return int(value or 0)

    async def list_objections(self, election_id: uuid.UUID) -> Sequence[Objection]:
        query = (
            select(Objection).where(Objection.election_id == election_id).order_by(Objection.created_at, Objection.id)
        )
        return (await self.session.execute(query)).scalars().all()

    # -- roll ---------------------------------------------------------------------------------

    async def insert_roll(self, election_id: uuid.UUID, items: Sequence[dict[str, Any]]) -> None:
        if items:
            await self.session.execute(insert(RollEntry), [{"election_id": election_id, **item} for item in items])

    async def list_roll(self, election_id: uuid.UUID) -> Sequence[RollEntry]:
        query = select(RollEntry).where(RollEntry.election_id == election_id).order_by(RollEntry.uscc)
        return (await self.session.execute(query)).scalars().all()

    async def get_roll_entry(self, election_id: uuid.UUID, enterprise_id: uuid.UUID) -> RollEntry | None:
        query = select(RollEntry).where(RollEntry.election_id == election_id, RollEntry.enterprise_id == enterprise_id)
        return (await self.session.execute(query.with_for_update())).scalar_one_or_none()

    async def delete_roll_entry(self, election_id: uuid.UUID, enterprise_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(RollEntry).where(RollEntry.election_id == election_id, RollEntry.enterprise_id == enterprise_id)
        )

    async def roll_entries_of_enterprise(
        self, enterprise_id: uuid.UUID, statuses: Iterable[str]
    ) -> Sequence[Row[RollEntry, Election]]:
        """The enterprise's roll entries in elections in the given states (for registry events)."""
        query = (
            select(RollEntry, Election)
            .join(Election, Election.id == RollEntry.election_id)
            .where(RollEntry.enterprise_id == enterprise_id, Election.status.in_(sorted(statuses)))
            .order_by(Election.id)
            .with_for_update(of=Election)
        )
        return (await self.session.execute(query)).all()

    async def set_representative(
        self, enterprise_id: uuid.UUID, subject: str | None, election_ids: Sequence[uuid.UUID]
    ) -> None:
        if election_ids:
            await self.session.execute(
                update(RollEntry)
                .where(RollEntry.enterprise_id == enterprise_id, RollEntry.election_id.in_(election_ids))
                .values(representative_subject=subject)
            )

    async def entitled_enterprises(self, election_id: uuid.UUID) -> list[uuid.UUID]:
        """The enterprises of the frozen roll that may still vote, in USCC order."""
        query = (
            select(RollEntry.enterprise_id)
            .where(RollEntry.election_id == election_id, RollEntry.entitled.is_(True))
            .order_by(RollEntry.uscc)
        )
        return list((await self.session.scalars(query)).all())

    async def claim_closing_notices(self, now: dt.datetime, ahead: dt.timedelta) -> list[Election]:
        """Open rounds closing within `ahead`, each claimed once by its `closing_notice` row (a racing job's
        insert waits for this transaction, then does nothing)."""
        due = select(Election.id, Election.current_round, literal(now, DateTime(timezone=True))).where(
            Election.status.in_(sorted(OPEN_FOR_VOTING)),
            Election.voting_closes_at > now,
            Election.voting_closes_at <= now + ahead,
        )
        claimed = (
            await self.session.execute(
                pg_insert(ClosingNotice)
                .from_select(["election_id", "round_no", "created_at"], due)
                .on_conflict_do_nothing()
                .returning(ClosingNotice.election_id)
            )
        ).scalars()
        ids = list(claimed)
        if not ids:
            return []
        query = select(Election).where(Election.id.in_(ids)).order_by(Election.voting_closes_at, Election.id)
        return list((await self.session.scalars(query)).all())

    # -- secret link key ----------------------------------------------------------------------

    async def insert_secret(self, election_id: uuid.UUID, key: bytes) -> None:
        await self.session.execute(
            pg_insert(ElectionSecret).values(election_id=election_id, link_key=key).on_conflict_do_nothing()
        )

    async def secret(self, election_id: uuid.UUID) -> bytes | None:
        query = select(ElectionSecret.link_key).where(ElectionSecret.election_id == election_id)
        key = await self.session.scalar(query)
        return bytes(key) if key is not None else None

    async def destroy_secret(self, election_id: uuid.UUID) -> None:
        await self.session.execute(delete(ElectionSecret).where(ElectionSecret.election_id == election_id))

    # -- log ----------------------------------------------------------------------------------

    async def log_head(self, election_id: uuid.UUID) -> tuple[int, str] | None:
        row = (
            await self.session.execute(
                select(log_table.c.seq, log_table.c.hash)
                .where(log_table.c.election_id == election_id)
                .order_by(log_table.c.seq.desc())
                .limit(1)
            )
        ).first()
        return (int(row.seq), str(row.hash)) if row else None

    async def insert_log_entries(self, entries: Sequence[dict[str, Any]]) -> None:
        if entries:
            await self.session.execute(insert(log_table), list(entries))

    async def log_entries(self, election_id: uuid.UUID) -> Sequence[Row[Any]]:
        query = select(log_table).where(log_table.c.election_id == election_id).order_by(log_table.c.seq)
        return (await self.session.execute(query)).all()

    # -- certification ------------------------------------------------------------------------

    async def add_certification(
        self, election_id: uuid.UUID, subject: str, result_hash: str, public_key: str, signature: str
    ) -> bool:
        """Insert an observer's approval; False when that observer already approved (the primary key)."""
        inserted = await self.session.execute(
            pg_insert(Certification)
            .values(
                election_id=election_id,
                observer_subject=subject,
                result_hash=result_hash,
                public_key=public_key,
                signature=signature,
            )
            .on_conflict_do_nothing(index_elements=["election_id", "observer_subject"])
            .returning(Certification.observer_subject)
        )
        return inserted.scalar_one_or_none() is not None

    async def certifications_for(self, election_id: uuid.UUID, result_hash: str) -> list[str]:
        query = select(Certification.observer_subject).where(
            Certification.election_id == election_id, Certification.result_hash == result_hash
        )
        return sorted((await self.session.execute(query)).scalars().all())


@dataclass(frozen=True, slots=True)
class OpenRound:
    """What a cast needs before its statement: the open round, its ballot spec and the link key."""

    round_no: int
    round_spec: dict[str, Any]
    link_key: bytes


@dataclass(frozen=True, slots=True)
class CastRow:
    """What `elections.cast_ballot` answers: an outcome and, when cast, the ballot's serial and time."""

    outcome: str
    serial: int | None
    cast_at: Any
    replaced: bool | None


class BallotRepository(Repository):
    """Ballots: the cast on the hot path, the rest (counts, the log's pending ballots) in the session."""

    async def open_round(self, election_id: uuid.UUID) -> tuple[str, OpenRound | None] | None:
        """The election's status and, when it has a round spec and a key, that round; None when there
        is no such election. Unlocked and autocommitted: `cast` re-checks everything under its locks."""
        async with self.hot() as connection:
            row = await connection.fetchrow(
                "SELECT e.status::text AS status, e.current_round, e.round_spec, s.link_key"
                " FROM elections.election AS e"
                " LEFT JOIN elections.election_secret AS s ON s.election_id = e.id WHERE e.id = $1",
                election_id,
            )
        if row is None:
            return None
        spec, key = row["round_spec"], row["link_key"]
        if spec is None or key is None:
            return row["status"], None
        spec = loads(spec) if isinstance(spec, str) else spec
        return row["status"], OpenRound(round_no=row["current_round"], round_spec=spec, link_key=bytes(key))

    async def cast(
        self,
        *,
        election_id: uuid.UUID,
        enterprise_id: uuid.UUID,
        subject: str,
        round_no: int,
        ballot: tuple[uuid.UUID, list[str], str, bytes] | None,
    ) -> CastRow:
        """Lock, check and (given `ballot` = id, choices, tracker, voter link) cast, in one autocommitted
        statement (`elections.cast_ballot`, the source of the cast rules): one round trip. Without
        `ballot` it only checks."""
        ballot_id, choices, tracker, link = ballot if ballot is not None else (None, None, None, None)
        async with self.hot() as connection:
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
                lock_key("cast", election_id),
                lock_key("voter", election_id, enterprise_id),
            )
        return CastRow(row["outcome"], row["ballot_serial"], row["ballot_cast_at"], row["replaced"])

    async def lock_out_casts(self, election_id: uuid.UUID) -> None:
        """Wait for every cast in flight and keep new ones out until this transaction ends."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:election)"), {"election": lock_key("cast", election_id)}
        )

    async def voter_links(self, election_id: uuid.UUID, round_no: int) -> set[bytes]:
        """The keyed voter links of the round's counted ballots (no enterprise is stored with a ballot)."""
        query = select(current_table.c.voter_link).where(
            current_table.c.election_id == election_id, current_table.c.round_no == round_no
        )
        return {bytes(link) for link in (await self.session.scalars(query)).all()}

    async def ballots_cast(self, election_id: uuid.UUID, round_no: int) -> int:
        value = await self.session.scalar(
            select(func.count())
            .select_from(current_table)
            .where(current_table.c.election_id == election_id, current_table.c.round_no == round_no)
        )
        return int(value or 0)

    async def unlogged(self, election_id: uuid.UUID, after_serial: int) -> Sequence[Any]:
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
        return (await self.session.execute(query)).all()

    async def counted(self, election_id: uuid.UUID) -> dict[int, list[list[str]]]:
        """The counted ballot of every voter, per round."""
        query = (
            select(ballot_table.c.round_no, ballot_table.c.choices)
            .select_from(current_table.join(ballot_table, ballot_table.c.id == current_table.c.ballot_id))
            .where(current_table.c.election_id == election_id)
        )
        rounds: dict[int, list[list[str]]] = {}
        for round_no, choices in (await self.session.execute(query)).all():
            rounds.setdefault(round_no, []).append(choices)
        return rounds

    async def published(self, election_id: uuid.UUID, max_round: int) -> Sequence[Any]:
        """Every ballot of the closed rounds, whether it counted, ordered by round and tracker."""
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
        return (await self.session.execute(query)).all()

    async def find_tracker(self, election_id: uuid.UUID, tracker: str) -> Row[Any] | None:
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
        return (await self.session.execute(query)).first()
