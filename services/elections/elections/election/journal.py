"""What every elections service module shares: loading with the caller's rights, the hash-chained
public log, the outbox event, and the schemas an election is presented as."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from elections.counting.chain import GENESIS, entry_hash
from elections.counting.rules import Rules
from elections.database import platform_tables
from elections.election.exceptions import ElectionNotFound, NotStaffOfCommunity, TransitionRefused
from elections.election.models import Candidate, Election
from elections.election.repository import BallotRepository, ElectionRepository
from elections.election.schemas import CandidateOut, ElectionOut
from shared.auth import Identity, Role
from shared.i18n import Text
from shared.outbox import chunked, record_event
from shared.uow import UnitOfWork


async def load(uow: UnitOfWork, election_id: uuid.UUID, *, for_update: bool = False) -> Election:
    election = await uow.repository(ElectionRepository).get(election_id, for_update=for_update)
    if election is None:
        raise ElectionNotFound()
    return election


def ensure_staff(identity: Identity, community_id: uuid.UUID) -> None:
    if not identity.staff_of(community_id):
        raise NotStaffOfCommunity()


def can_watch(identity: Identity, election: Election) -> bool:
    """Staff of the community and the election's observers see turnout, the roll and objections."""
    return identity.staff_of(election.community_id) or (
        Role.election_observer in identity.roles and election.id in identity.election_ids
    )


def refuse(detail_zh: str, detail_en: str) -> TransitionRefused:
    return TransitionRefused(Text(detail_zh, detail_en))


def rules_of(election: Election) -> Rules:
    return Rules.model_validate({k: v for k, v in election.rules.items() if k != "objection_window_hours"})


def public_election(election: Election) -> dict[str, Any]:
    return {
        "election_id": str(election.id),
        "community_id": str(election.community_id),
        "title": election.title,
        "record_date": election.record_date.isoformat(),
        "rules": election.rules,
    }


def present(election: Election) -> ElectionOut:
    return ElectionOut.model_validate(election)


def present_candidate(candidate: Candidate, nominators: int) -> CandidateOut:
    out = CandidateOut.model_validate(candidate)
    out.nominators = nominators
    return out


async def event(uow: UnitOfWork, election: Election, event_type: str, **extra: Any) -> None:
    """The domain event for other services, in the same transaction (the one outbox writer)."""
    payload = {
        "election_id": str(election.id),
        "community_id": str(election.community_id),
        "title": election.title,
        "status": str(election.status),
        "round_no": election.current_round,
        "voting_closes_at": election.voting_closes_at.isoformat() if election.voting_closes_at else None,
    }
    await record_event(uow.session, platform_tables.outbox_event, event_type, "election", election.id, payload | extra)


async def fan_out(
    uow: UnitOfWork, election: Election, event_type: str, enterprise_ids: list[str], **extra: Any
) -> None:
    """One event per slice of at most 500 enterprise ids, numbered `part` of `parts`."""
    parts = chunked(enterprise_ids)
    for index, part in enumerate(parts, 1):
        await event(uow, election, event_type, enterprise_ids=list(part), part=index, parts=len(parts), **extra)


# -- the log ----------------------------------------------------------------------------------


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _entry(election_id: uuid.UUID, seq: int, event_type: str, payload: dict[str, Any], prev: str) -> dict[str, Any]:
    at = _now_text()
    return {
        "election_id": election_id,
        "seq": seq,
        "type": event_type,
        "recorded_at": at,
        "payload": payload,
        "prev": prev,
        "hash": entry_hash(seq, event_type, at, payload, prev),
    }


async def append(uow: UnitOfWork, election: Election, event_type: str, payload: dict[str, Any]) -> int:
    """Append to the election's chained log; the caller holds the election row lock.

    Ballots cast since the last append are chained first, in cast order.
    """
    await chain_pending_ballots(uow, election)
    elections = uow.repository(ElectionRepository)
    head = await elections.log_head(election.id)
    seq, prev = head if head else (0, GENESIS)
    await elections.insert_log_entries([_entry(election.id, seq + 1, event_type, payload, prev)])
    return seq + 1


async def chain_pending_ballots(uow: UnitOfWork, election: Election) -> None:
    """Log every ballot cast since the last append: `ballot_cast`, then `ballot_superseded` if it replaced one.

    Casts are locked out first: a cast still in flight may hold a lower serial than one committed.
    """
    ballots = uow.repository(BallotRepository)
    await ballots.lock_out_casts(election.id)
    pending = await ballots.unlogged(election.id, election.logged_ballot_serial)
    if not pending:
        return
    elections = uow.repository(ElectionRepository)
    head = await elections.log_head(election.id)
    seq, prev = head if head else (0, GENESIS)
    entries: list[dict[str, Any]] = []
    for ballot in pending:
        seq += 1
        cast = {"round_no": ballot.round_no, "tracker": ballot.tracker, "choices": ballot.choices}
        entries.append(_entry(election.id, seq, "ballot_cast", cast, prev))
        prev = entries[-1]["hash"]
        if ballot.replaced_tracker is not None:
            seq += 1
            superseded = {"round_no": ballot.round_no, "tracker": ballot.replaced_tracker, "by": ballot.tracker}
            entries.append(_entry(election.id, seq, "ballot_superseded", superseded, prev))
            prev = entries[-1]["hash"]
    await elections.insert_log_entries(entries)
    election.logged_ballot_serial = pending[-1].serial
