"""Proposals (议题): submitted by a representative or an employee, supported once per enterprise and once per
person; at the threshold the committee owes an agenda slot by a due date; staff merge duplicates and answer."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from elections.deliberation.access import ensure_staff, event, member_of, visible_communities
from elections.deliberation.committee.repository import CommitteeRepository
from elections.deliberation.exceptions import AlreadySupported, ProposalClosed, ProposalNotFound
from elections.deliberation.proposals.models import Proposal
from elections.deliberation.proposals.repository import ProposalRepository
from elections.deliberation.proposals.schemas import AnswerIn, MergeIn, ProposalCreate, ProposalOut, SupportOut
from elections.deliberation.states import PLACEABLE, SUPPORTABLE
from elections.election.exceptions import NotInCommunity
from shared.auth import Identity, Role
from shared.dates import business_today
from shared.db import utcnow
from shared.errors import ValidationFailed
from shared.i18n import Text
from shared.pagination import Page, encode_cursor
from shared.uow import UnitOfWork


def present(proposal: Proposal) -> ProposalOut:
    return ProposalOut.model_validate(proposal)


async def submit(uow: UnitOfWork, identity: Identity, body: ProposalCreate) -> ProposalOut:
    """A representative or an employee of the community; the committee in office sets threshold and due days."""
    if body.community_id not in identity.community_ids:
        raise NotInCommunity()
    committee = await uow.repository(CommitteeRepository).active_in(body.community_id)
    settings = uow.app.state.settings
    proposal = Proposal(
        community_id=body.community_id,
        committee_id=committee.id if committee else None,
        author_subject=identity.subject,
        author_enterprise_id=identity.enterprise_id,
        title=body.title,
        body=body.body,
        category=body.category,
        building_id=body.building_id,
        scope=body.scope,
        support_threshold=committee.support_threshold if committee else settings.proposal_support_threshold,
        agenda_days=committee.agenda_days if committee else settings.proposal_agenda_days,
    )
    uow.repository(ProposalRepository).add(proposal)
    await uow.flush()
    return present(proposal)


async def load(uow: UnitOfWork, identity: Identity, proposal_id: uuid.UUID, *, for_update: bool = False) -> Proposal:
    """The proposal if the caller belongs to its community (others: 404)."""
    proposal = await uow.repository(ProposalRepository).get(proposal_id, for_update=for_update)
    if proposal is None or not member_of(identity, proposal.community_id):
        raise ProposalNotFound()
    return proposal


async def get(uow: UnitOfWork, identity: Identity, proposal_id: uuid.UUID) -> ProposalOut:
    return present(await load(uow, identity, proposal_id))


async def page(
    uow: UnitOfWork,
    identity: Identity,
    community_id: uuid.UUID | None,
    filters: dict[str, Any],
    after: tuple[Any, ...] | None,
    limit: int,
) -> Page[ProposalOut]:
    communities = visible_communities(identity, community_id)
    rows = await uow.repository(ProposalRepository).page(communities, filters, after, limit + 1)
    items = [present(row) for row in rows[:limit]]
    cursor = encode_cursor([rows[limit - 1].created_at.isoformat(), rows[limit - 1].id]) if len(rows) > limit else None
    return Page(items=items, next_cursor=cursor)


async def _count_reached(uow: UnitOfWork, proposal: Proposal, count: int) -> None:
    """Set the count; the first time it reaches the threshold, the agenda deadline and the event."""
    proposal.support_count = count
    if proposal.status == "open" and count >= proposal.support_threshold:
        proposal.status = "threshold_reached"
        proposal.threshold_reached_at = utcnow()
        proposal.agenda_due_on = business_today() + dt.timedelta(days=proposal.agenda_days)
        await event(
            uow,
            "ProposalThresholdReached",
            "proposal",
            proposal.id,
            proposal.community_id,
            title=proposal.title,
            committee_id=str(proposal.committee_id) if proposal.committee_id else None,
            support_count=count,
            agenda_due_on=proposal.agenda_due_on.isoformat(),
        )


async def support(uow: UnitOfWork, identity: Identity, proposal_id: uuid.UUID) -> SupportOut:
    """A representative supports for their enterprise (once per enterprise), an employee for themself."""
    proposal = await load(uow, identity, proposal_id, for_update=True)
    if identity.enterprise_id is None or proposal.community_id not in identity.community_ids:
        raise NotInCommunity()
    if proposal.status not in SUPPORTABLE:
        raise ProposalClosed()
    if Role.enterprise_rep in identity.roles:
        kind, key = "enterprise", str(identity.enterprise_id)
    else:
        kind, key = "person", identity.subject
    proposals = uow.repository(ProposalRepository)
    if not await proposals.add_support(proposal.id, kind, key, identity.subject):
        raise AlreadySupported()
    await _count_reached(uow, proposal, proposal.support_count + 1)
    await uow.flush()
    return SupportOut(
        proposal_id=proposal.id,
        supporter_kind=kind,
        support_count=proposal.support_count,
        status=proposal.status,
    )


async def merge(uow: UnitOfWork, identity: Identity, proposal_id: uuid.UUID, body: MergeIn) -> ProposalOut:
    """Staff: a duplicate joins the proposal it repeats; its supporters count there once each."""
    proposals = uow.repository(ProposalRepository)
    if body.into == proposal_id:
        raise ValidationFailed(
            Text("不能合并到自身", "A proposal cannot merge into itself"),
            errors=[{"detail": "must name another proposal", "pointer": "/into"}],
        )
    locked = {p.id: p for p in await proposals.get_many([proposal_id, body.into])}
    source, target = locked.get(proposal_id), locked.get(body.into)
    if source is None or not member_of(identity, source.community_id):
        raise ProposalNotFound()
    ensure_staff(identity, source.community_id)
    if target is None or target.community_id != source.community_id:
        raise ProposalNotFound(
            Text("目标议题不存在", "The target proposal does not exist in this community"),
            errors=[{"detail": "no such proposal in this community", "pointer": "/into"}],
        )
    if source.status not in PLACEABLE or target.status in ("merged", "answered"):
        raise ProposalClosed()
    source.status, source.merged_into = "merged", target.id
    await uow.flush()
    await _count_reached(uow, target, await proposals.move_supports(source.id, target.id))
    await uow.flush()
    return present(source)


async def answer(uow: UnitOfWork, identity: Identity, proposal_id: uuid.UUID, body: AnswerIn) -> ProposalOut:
    """Staff reply on the record; `close` ends it as answered (only before it is on an agenda)."""
    proposal = await load(uow, identity, proposal_id, for_update=True)
    ensure_staff(identity, proposal.community_id)
    if proposal.status == "merged" or (body.close and proposal.status not in PLACEABLE):
        raise ProposalClosed()
    proposal.answer, proposal.answered_at = body.answer, utcnow()
    if body.close:
        proposal.status = "answered"
    await uow.flush()
    return present(proposal)
