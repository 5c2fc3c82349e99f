"""The committee: formed by staff from a certified election, its seats follow the registry, its term ends."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from elections.deliberation.access import ensure_staff, event, member_of, visible_communities
from elections.deliberation.committee.models import Committee
from elections.deliberation.committee.repository import CommitteeRepository
from elections.deliberation.committee.schemas import CommitteeCreate, CommitteeOut, CommitteeSummary, MemberOut
from elections.deliberation.exceptions import CommitteeExists, CommitteeNotFound, ElectionNotCertified
from elections.deliberation.states import quorum_of
from elections.election.journal import load
from elections.election.lifecycle import RollFetcher
from elections.election.states import ElectionStatus
from shared.auth import Identity
from shared.dates import business_today
from shared.pagination import Page, encode_cursor
from shared.uow import UnitOfWork

FORMED_FROM = frozenset({ElectionStatus.certified, ElectionStatus.published})


def _term_end(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


async def present(uow: UnitOfWork, committee: Committee) -> CommitteeOut:
    members = await uow.repository(CommitteeRepository).members(committee.id)
    return CommitteeOut(
        id=committee.id,
        community_id=committee.community_id,
        election_id=committee.election_id,
        title=committee.title,
        seats=committee.seats,
        quorum=quorum_of(committee.seats),
        support_threshold=committee.support_threshold,
        agenda_days=committee.agenda_days,
        term_starts_on=committee.term_starts_on,
        term_ends_on=committee.term_ends_on,
        status=committee.status,
        ended_on=committee.ended_on,
        members=[MemberOut.model_validate(member) for member in members],
        version=committee.version,
        created_at=committee.created_at,
    )


async def form(uow: UnitOfWork, identity: Identity, body: CommitteeCreate, fetch_roll: RollFetcher) -> CommitteeOut:
    """Seats from the certified result: each elected candidate's first nominating enterprise sits, represented
    by its authorised representative as the registry names them today; the community's previous committee ends."""
    election = await load(uow, body.election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    if election.status not in FORMED_FROM or not election.result:
        raise ElectionNotCertified()
    committees = uow.repository(CommitteeRepository)
    if await committees.of_election(election.id) is not None:
        raise CommitteeExists()
    elected = [uuid.UUID(item["candidate_id"]) for item in election.result.get("elected", [])]
    found = await committees.elected_candidates(election.id, elected)
    today = business_today()
    current = {
        item["enterprise_id"]: item.get("representative_subject")
        for item in await fetch_roll(election.community_id, today)
    }
    previous = await committees.active_in(election.community_id, for_update=True)
    if previous is not None:
        previous.status, previous.ended_on = "ended", today
        await uow.flush()
    starts = body.term_starts_on or today
    committee = Committee(
        community_id=election.community_id,
        election_id=election.id,
        title=election.title,
        seats=int(election.rules.get("seats", len(elected))),
        support_threshold=body.support_threshold,
        agenda_days=body.agenda_days,
        term_starts_on=starts,
        term_ends_on=_term_end(starts, int(election.rules.get("term_years", 3))),
    )
    committees.add(committee)
    await uow.flush()
    members: list[dict[str, Any]] = []
    for seat_no, candidate_id in enumerate(elected, 1):
        name, enterprise_id, enterprise_name, roll_subject = found[candidate_id]
        members.append(
            {
                "committee_id": committee.id,
                "seat_no": seat_no,
                "candidate_id": candidate_id,
                "name": name,
                "enterprise_id": enterprise_id,
                "enterprise_name": enterprise_name,
                "representative_subject": current.get(enterprise_id, roll_subject),
            }
        )
    await committees.add_members(members)
    await uow.flush()
    await event(
        uow,
        "CommitteeFormed",
        "committee",
        committee.id,
        committee.community_id,
        election_id=str(election.id),
        title=committee.title,
        enterprise_ids=sorted({str(member["enterprise_id"]) for member in members}),
        term_ends_on=committee.term_ends_on.isoformat(),
    )
    return await present(uow, committee)


async def load_committee(uow: UnitOfWork, identity: Identity, committee_id: uuid.UUID) -> Committee:
    """The committee if the caller belongs to its community (others: 404)."""
    committee = await uow.repository(CommitteeRepository).get(committee_id)
    if committee is None or not member_of(identity, committee.community_id):
        raise CommitteeNotFound()
    return committee


async def get(uow: UnitOfWork, identity: Identity, committee_id: uuid.UUID) -> CommitteeOut:
    return await present(uow, await load_committee(uow, identity, committee_id))


async def page(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID | None, after: tuple[Any, ...] | None, limit: int
) -> Page[CommitteeSummary]:
    communities = visible_communities(identity, community_id)
    rows = await uow.repository(CommitteeRepository).page(communities, after, limit + 1)
    items = [CommitteeSummary.model_validate(row) for row in rows[:limit]]
    cursor = encode_cursor([rows[limit - 1].created_at.isoformat(), rows[limit - 1].id]) if len(rows) > limit else None
    return Page(items=items, next_cursor=cursor)


async def end_terms(uow: UnitOfWork, today: dt.date) -> int:
    """A job: every committee whose term is over ends, with a `CommitteeTermEnded` event each."""
    ended = await uow.repository(CommitteeRepository).end_terms(today)
    for committee in ended:
        await event(uow, "CommitteeTermEnded", "committee", committee.id, committee.community_id, title=committee.title)
    return len(ended)
