"""Tables of the elections schema. Ballots carry no enterprise; the voter link is a keyed hash."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from elections.database import Base
from elections.election.states import STATUSES, ElectionStatus
from shared.db import Timestamps, UUIDPrimaryKey, Versioned


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class Election(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "election"
    __table_args__ = (CheckConstraint(_in("status", STATUSES), name="status"),)

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(
        String(30), default=ElectionStatus.draft.value, server_default=ElectionStatus.draft.value
    )
    suspended_from: Mapped[str | None] = mapped_column(String(30))
    rules: Mapped[dict[str, Any]] = mapped_column()
    record_date: Mapped[dt.date] = mapped_column(Date)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    roll_fingerprint: Mapped[str | None] = mapped_column(String(64))
    roll_size: Mapped[int | None] = mapped_column(Integer)
    current_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    round_spec: Mapped[dict[str, Any] | None] = mapped_column()
    logged_ballot_serial: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    lot_values: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    result: Mapped[dict[str, Any] | None] = mapped_column()
    result_hash: Mapped[str | None] = mapped_column(String(64))
    rerun_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("election.id"))
    # the announced close of the open round (staff still close it); 24 h before, ElectionClosingSoon
    voting_closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ClosingNotice(Base):
    """An ElectionClosingSoon written: its key makes it once per election and round."""

    __tablename__ = "closing_notice"

    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("election.id"), primary_key=True)
    round_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ElectionSecret(Base):
    """The per-election HMAC key linking an enterprise to its current ballot; deleted at certification."""

    __tablename__ = "election_secret"

    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("election.id"), primary_key=True)
    link_key: Mapped[bytes] = mapped_column(LargeBinary)


class Candidate(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "candidate"
    __table_args__ = (
        CheckConstraint(_in("status", ("nominated", "approved", "rejected")), name="status"),
        CheckConstraint(_in("kind", ("single", "joint")), name="kind"),
        UniqueConstraint("election_id", "ballot_number"),
    )

    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("election.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    profile: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="nominated", server_default="nominated")
    review_reason: Mapped[str | None] = mapped_column(Text)
    ballot_number: Mapped[int | None] = mapped_column(Integer)


class Nomination(Base):
    """One enterprise backing a candidate: one is enough alone, five are needed jointly."""

    __tablename__ = "nomination"

    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("candidate.id"), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    representative_subject: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Objection(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "objection"
    __table_args__ = (CheckConstraint(_in("status", ("open", "upheld", "dismissed")), name="status"),)

    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("election.id"), index=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("candidate.id"))
    filed_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    decision_reason: Mapped[str | None] = mapped_column(Text)


class RollEntry(Base):
    """One enterprise of the frozen roll; `entitled` turns false when it is deregistered after the freeze."""

    __tablename__ = "roll_entry"
    __table_args__ = (UniqueConstraint("election_id", "uscc"),)

    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("election.id"), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    representative_subject: Mapped[str | None] = mapped_column(String(200))
    entitled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    entitlement_note: Mapped[str | None] = mapped_column(Text)


class Ballot(Base):
    """A cast ballot. No enterprise column: which ballot counts is known only through `current_ballot`."""

    __tablename__ = "ballot"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    serial: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    # No foreign key to `election`: its check would KEY SHARE-lock the one hot election row per cast.
    election_id: Mapped[uuid.UUID] = mapped_column(index=True)
    round_no: Mapped[int] = mapped_column(Integer)
    choices: Mapped[list[Any]] = mapped_column()
    tracker: Mapped[str] = mapped_column(String(64), unique=True)
    replaces_ballot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ballot.id"))
    cast_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CurrentBallot(Base):
    """One counted ballot per enterprise and round, keyed by HMAC(election key, round, enterprise)."""

    __tablename__ = "current_ballot"

    election_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # no FK: see `Ballot.election_id`
    round_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    voter_link: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    ballot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ballot.id"), unique=True)


class LogEntry(Base):
    """The append-only, hash-chained public log; a trigger refuses UPDATE and DELETE."""

    __tablename__ = "log_entry"

    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("election.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    recorded_at: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Certification(Base):
    """An observer's signed approval of one result hash; k of them certify the election."""

    __tablename__ = "certification"

    election_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("election.id"), primary_key=True)
    # The primary key is the rule "one approval per observer": a second one is refused, not merged.
    observer_subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    result_hash: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
