"""All SQL of the committee: its rows, its seats, and what it is formed from (the election's tables)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import distinct_on

from elections.deliberation.committee.models import Committee, CommitteeMember
from elections.election.models import Candidate, Nomination, RollEntry
from shared.pagination import after_keyset
from shared.uow import Repository


class CommitteeRepository(Repository):
    def add(self, instance: object) -> None:
        self.session.add(instance)

    async def get(self, committee_id: uuid.UUID, *, for_update: bool = False) -> Committee | None:
        query = select(Committee).where(Committee.id == committee_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def of_election(self, election_id: uuid.UUID) -> Committee | None:
        return (await self.session.execute(select(Committee).where(Committee.election_id == election_id))).scalar()

    async def active_in(self, community_id: uuid.UUID, *, for_update: bool = False) -> Committee | None:
        query = select(Committee).where(Committee.community_id == community_id, Committee.status == "active")
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self, communities: list[uuid.UUID] | None, after: tuple[Any, ...] | None, limit: int
    ) -> Sequence[Committee]:
        query = select(Committee).order_by(Committee.created_at.desc(), Committee.id.desc()).limit(limit)
        if communities is not None:
            query = query.where(Committee.community_id.in_(communities))
        if after is not None:
            query = query.where(
                after_keyset([Committee.__table__.c.created_at, Committee.__table__.c.id], after, [True, True])
            )
        return (await self.session.execute(query)).scalars().all()

    async def members(self, committee_id: uuid.UUID) -> Sequence[CommitteeMember]:
        query = select(CommitteeMember).where(CommitteeMember.committee_id == committee_id)
        return (await self.session.execute(query.order_by(CommitteeMember.seat_no))).scalars().all()

    async def seats_of(self, committee_id: uuid.UUID, enterprise_id: uuid.UUID, subject: str) -> list[int]:
        """The seats this enterprise holds on the committee while `subject` is its representative."""
        query = select(CommitteeMember.seat_no).where(
            CommitteeMember.committee_id == committee_id,
            CommitteeMember.enterprise_id == enterprise_id,
            CommitteeMember.representative_subject == subject,
        )
        return list((await self.session.scalars(query.order_by(CommitteeMember.seat_no))).all())

    async def elected_candidates(
        self, election_id: uuid.UUID, candidate_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[str, uuid.UUID, str, str | None]]:
        """Per candidate: its name, the enterprise that nominated it first, that enterprise's roll name and
        representative."""
        first = (
            select(Nomination.candidate_id, Nomination.enterprise_id)
            .ext(distinct_on(Nomination.candidate_id))
            .where(Nomination.candidate_id.in_(candidate_ids))
            .order_by(Nomination.candidate_id, Nomination.created_at, Nomination.enterprise_id)
            .subquery()
        )
        query = (
            select(
                Candidate.id, Candidate.name, first.c.enterprise_id, RollEntry.name, RollEntry.representative_subject
            )
            .join(first, first.c.candidate_id == Candidate.id)
            .outerjoin(
                RollEntry, (RollEntry.election_id == election_id) & (RollEntry.enterprise_id == first.c.enterprise_id)
            )
            .where(Candidate.election_id == election_id)
        )
        rows = (await self.session.execute(query)).all()
        return {row[0]: (row[1], row[2], row[3] or "", row[4]) for row in rows}

    async def add_members(self, members: Sequence[dict[str, Any]]) -> None:
        self.session.add_all(CommitteeMember(**member) for member in members)

    async def follow_representative(self, enterprise_id: uuid.UUID, subject: str | None) -> None:
        """A new representative of an enterprise takes its seats on every committee in office."""
        active = select(Committee.id).where(Committee.status == "active")
        await self.session.execute(
            update(CommitteeMember)
            .where(CommitteeMember.enterprise_id == enterprise_id, CommitteeMember.committee_id.in_(active))
            .values(representative_subject=subject)
        )

    async def end_terms(self, today: dt.date) -> list[Committee]:
        """Committees whose term is over: ended, each once (the conditional update)."""
        ended = await self.session.execute(
            update(Committee)
            .where(Committee.status == "active", Committee.term_ends_on < today)
            .values(status="ended", ended_on=today, version=Committee.version + 1)
            .returning(Committee)
            .execution_options(synchronize_session=False)
        )
        return list(ended.scalars().all())
