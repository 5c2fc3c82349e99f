"""Meetings (议事会): staff schedule the agenda, record attendance and decisions; members vote by name;
a decision needs the quorum; minutes are approved once and then never change."""

from __future__ import annotations

import uuid
from typing import Any

from elections.deliberation.access import ensure_staff, event, member_of, visible_communities
from elections.deliberation.actions.service import open_action
from elections.deliberation.committee.models import Committee
from elections.deliberation.committee.repository import CommitteeRepository
from elections.deliberation.exceptions import (
    AlreadyDecided,
    AlreadyVoted,
    CommitteeNotFound,
    ItemNotFound,
    MeetingNotFound,
    MinutesApproved,
    NoActiveCommittee,
    NoQuorum,
    NotCommitteeMember,
    ProposalClosed,
    ProposalNotFound,
    UnknownSeat,
    VoteDoesNotCarry,
)
from elections.deliberation.meetings.models import Meeting, MeetingItem
from elections.deliberation.meetings.repository import MeetingRepository
from elections.deliberation.meetings.schemas import (
    AttendanceIn,
    DecisionIn,
    ItemOut,
    MeetingCreate,
    MeetingOut,
    MeetingSummary,
    MinutesIn,
    VoteIn,
    VoteOut,
)
from elections.deliberation.proposals.repository import ProposalRepository
from elections.deliberation.states import PLACEABLE, quorum_of
from shared.auth import Identity
from shared.concurrency import check_version
from shared.db import utcnow
from shared.pagination import Page, encode_cursor
from shared.uow import UnitOfWork


async def present(uow: UnitOfWork, meeting: Meeting) -> MeetingOut:
    meetings = uow.repository(MeetingRepository)
    committee = await uow.repository(CommitteeRepository).get(meeting.committee_id)
    assert committee is not None
    members = {m.seat_no: m for m in await uow.repository(CommitteeRepository).members(committee.id)}
    items = await meetings.items(meeting.id)
    ids = [item.id for item in items]
    votes: dict[uuid.UUID, list[VoteOut]] = {}
    for vote in await meetings.votes(ids):
        member = members[vote.seat_no]
        votes.setdefault(vote.item_id, []).append(
            VoteOut(
                seat_no=vote.seat_no, member=member.name, enterprise_name=member.enterprise_name, choice=vote.choice
            )
        )
    actions = await meetings.actions_of(ids)
    present_seats = await meetings.present_seats(meeting.id)
    return MeetingOut(
        id=meeting.id,
        committee_id=meeting.committee_id,
        community_id=meeting.community_id,
        title=meeting.title,
        scheduled_at=meeting.scheduled_at,
        location=meeting.location,
        seats=committee.seats,
        quorum=quorum_of(committee.seats),
        present_seats=present_seats,
        quorum_met=len(present_seats) >= quorum_of(committee.seats),
        minutes=meeting.minutes,
        minutes_approved_at=meeting.minutes_approved_at,
        items=[
            ItemOut(
                id=item.id,
                position=item.position,
                proposal_id=item.proposal_id,
                title=item.title,
                outcome=item.outcome,
                reason=item.reason,
                department=item.department,
                decided_at=item.decided_at,
                votes=votes.get(item.id, []),
                action_id=actions.get(item.id),
            )
            for item in items
        ],
        version=meeting.version,
        created_at=meeting.created_at,
    )


async def schedule(uow: UnitOfWork, identity: Identity, body: MeetingCreate) -> MeetingOut:
    """Staff of the committee's community; each proposal on the agenda is of the community and not yet placed."""
    committee = await uow.repository(CommitteeRepository).get(body.committee_id)
    if committee is None or not member_of(identity, committee.community_id):
        raise CommitteeNotFound()
    ensure_staff(identity, committee.community_id)
    if committee.status != "active":
        raise NoActiveCommittee()
    proposals = uow.repository(ProposalRepository)
    wanted = [item.proposal_id for item in body.agenda if item.proposal_id is not None]
    found = {p.id: p for p in await proposals.get_many(wanted)} if wanted else {}
    meeting = Meeting(
        committee_id=committee.id,
        community_id=committee.community_id,
        title=body.title,
        scheduled_at=body.scheduled_at,
        location=body.location,
    )
    meetings = uow.repository(MeetingRepository)
    meetings.add(meeting)
    await uow.flush()
    items: list[MeetingItem] = []
    for position, entry in enumerate(body.agenda, 1):
        proposal = found.get(entry.proposal_id) if entry.proposal_id else None
        if entry.proposal_id is not None:
            if proposal is None or proposal.community_id != committee.community_id:
                raise ProposalNotFound(
                    errors=[{"detail": "no such proposal", "pointer": f"/agenda/{position - 1}/proposal_id"}]
                )
            if proposal.status not in PLACEABLE:
                raise ProposalClosed(
                    errors=[{"detail": "already placed or closed", "pointer": f"/agenda/{position - 1}/proposal_id"}]
                )
            proposal.status = "on_agenda"
        title = entry.title or (proposal.title if proposal else "")
        items.append(MeetingItem(meeting_id=meeting.id, position=position, proposal_id=entry.proposal_id, title=title))
    meetings.add_all(items)
    await uow.flush()
    await event(
        uow,
        "MeetingScheduled",
        "meeting",
        meeting.id,
        meeting.community_id,
        committee_id=str(committee.id),
        title=meeting.title,
        scheduled_at=meeting.scheduled_at.isoformat(),
        location=meeting.location,
        proposal_ids=[str(p) for p in wanted],
    )
    return await present(uow, meeting)


async def _load(uow: UnitOfWork, identity: Identity, meeting_id: uuid.UUID, *, for_update: bool = False) -> Meeting:
    meeting = await uow.repository(MeetingRepository).get(meeting_id, for_update=for_update)
    if meeting is None or not member_of(identity, meeting.community_id):
        raise MeetingNotFound()
    return meeting


async def _committee(uow: UnitOfWork, meeting: Meeting) -> Committee:
    committee = await uow.repository(CommitteeRepository).get(meeting.committee_id)
    assert committee is not None  # the foreign key
    return committee


async def get(uow: UnitOfWork, identity: Identity, meeting_id: uuid.UUID) -> MeetingOut:
    return await present(uow, await _load(uow, identity, meeting_id))


async def page(
    uow: UnitOfWork,
    identity: Identity,
    community_id: uuid.UUID | None,
    committee_id: uuid.UUID | None,
    q: str | None,
    after: tuple[Any, ...] | None,
    limit: int,
) -> Page[MeetingSummary]:
    communities = visible_communities(identity, community_id)
    rows = await uow.repository(MeetingRepository).page(communities, committee_id, q, after, limit + 1)
    items = [MeetingSummary.model_validate(row) for row in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items=items, next_cursor=encode_cursor([last.scheduled_at.isoformat(), last.id]) if last else None)


async def record_attendance(
    uow: UnitOfWork, identity: Identity, meeting_id: uuid.UUID, body: AttendanceIn
) -> MeetingOut:
    """Staff mark the seats present (a member who votes is present too); before the minutes are approved."""
    meeting = await _load(uow, identity, meeting_id, for_update=True)
    ensure_staff(identity, meeting.community_id)
    if meeting.minutes_approved_at is not None:
        raise MinutesApproved()
    committee = await _committee(uow, meeting)
    for index, seat in enumerate(body.seats):
        if not 1 <= seat <= committee.seats:
            raise UnknownSeat(errors=[{"detail": f"seats are 1 to {committee.seats}", "pointer": f"/seats/{index}"}])
    await uow.repository(MeetingRepository).mark_present(meeting.id, sorted(set(body.seats)))
    return await present(uow, meeting)


async def vote(
    uow: UnitOfWork, identity: Identity, meeting_id: uuid.UUID, item_id: uuid.UUID, body: VoteIn
) -> MeetingOut:
    """The current representative of a sitting enterprise votes for each seat it holds, once per item."""
    meeting = await _load(uow, identity, meeting_id)
    if identity.enterprise_id is None:
        raise NotCommitteeMember()
    seats = await uow.repository(CommitteeRepository).seats_of(
        meeting.committee_id, identity.enterprise_id, identity.subject
    )
    if not seats:
        raise NotCommitteeMember()
    meetings = uow.repository(MeetingRepository)
    item = await meetings.item(meeting.id, item_id, for_update=True)
    if item is None:
        raise ItemNotFound()
    if item.outcome is not None:
        raise AlreadyDecided()
    for seat in seats:
        if not await meetings.add_vote(item.id, seat, body.choice, identity.subject):
            raise AlreadyVoted()
    await meetings.mark_present(meeting.id, seats)
    return await present(uow, meeting)


async def decide(
    uow: UnitOfWork, identity: Identity, meeting_id: uuid.UUID, item_id: uuid.UUID, body: DecisionIn
) -> MeetingOut:
    """Staff record the decision with its reason; it needs the quorum present, and `adopted` more than half of
    the members present voting for it. An adopted decision opens its tracked action."""
    meeting = await _load(uow, identity, meeting_id, for_update=True)
    ensure_staff(identity, meeting.community_id)
    if meeting.minutes_approved_at is not None:
        raise MinutesApproved()
    meetings = uow.repository(MeetingRepository)
    item = await meetings.item(meeting.id, item_id, for_update=True)
    if item is None:
        raise ItemNotFound()
    if item.outcome is not None:
        raise AlreadyDecided()
    committee = await _committee(uow, meeting)
    present_count = len(await meetings.present_seats(meeting.id))
    quorum = quorum_of(committee.seats)
    if present_count < quorum:
        raise NoQuorum(f"{present_count} present, {quorum} needed")
    if body.outcome == "adopted" and 2 * await meetings.votes_for(item.id) <= present_count:
        raise VoteDoesNotCarry()
    item.outcome, item.reason, item.department = body.outcome, body.reason, body.department
    item.present_seats, item.quorum, item.decided_at = present_count, quorum, utcnow()
    if item.proposal_id is not None:
        proposal = await uow.repository(ProposalRepository).get(item.proposal_id, for_update=True)
        if proposal is not None:
            proposal.status = "decided"
    await uow.flush()
    action_id = None
    if body.outcome == "adopted":
        assert body.owner is not None and body.due_on is not None  # DecisionIn's validator
        action_id = await open_action(uow, committee, item, body.owner, body.due_on)
    await event(
        uow,
        "DecisionTaken",
        "meeting",
        meeting.id,
        meeting.community_id,
        item_id=str(item.id),
        proposal_id=str(item.proposal_id) if item.proposal_id else None,
        title=item.title,
        outcome=item.outcome,
        department=item.department,
        action_id=str(action_id) if action_id else None,
    )
    return await present(uow, meeting)


async def write_minutes(
    uow: UnitOfWork, identity: Identity, meeting_id: uuid.UUID, expected: int, body: MinutesIn
) -> MeetingOut:
    """Staff, with `If-Match`; approved minutes never change (409 `MINUTES_APPROVED`, and the database's trigger)."""
    meeting = await _load(uow, identity, meeting_id, for_update=True)
    ensure_staff(identity, meeting.community_id)
    if meeting.minutes_approved_at is not None:
        raise MinutesApproved()
    check_version(expected, meeting.version)
    meeting.minutes = body.minutes
    await uow.flush()
    return await present(uow, meeting)


async def approve_minutes(uow: UnitOfWork, identity: Identity, meeting_id: uuid.UUID) -> MeetingOut:
    meeting = await _load(uow, identity, meeting_id, for_update=True)
    ensure_staff(identity, meeting.community_id)
    if meeting.minutes_approved_at is not None:
        raise MinutesApproved()
    meeting.minutes_approved_at = utcnow()
    await uow.flush()
    return await present(uow, meeting)
