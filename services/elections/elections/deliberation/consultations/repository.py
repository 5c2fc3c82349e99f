"""All SQL of consultations. The answer is the hot path: one autocommitted statement that inserts only while
the consultation is open (`self.hot()`); the rest goes through the session."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update

from elections.deliberation.consultations.models import Consultation, ConsultationAnswer
from elections.deliberation.proposals.repository import like_pattern
from shared.jsonutil import dumps, loads
from shared.pagination import after_keyset
from shared.uow import Repository

INSERT_ANSWER = (
    "INSERT INTO elections.consultation_answer (consultation_id, respondent_key, respondent_subject, answers)"
    " SELECT c.id, $2, $3, $4::text::jsonb FROM elections.consultation AS c"
    " WHERE c.id = $1 AND c.status = 'open' AND c.closes_at > now()"
    " ON CONFLICT DO NOTHING RETURNING created_at"
)
ANSWER_REFUSED = (
    "SELECT c.status = 'open' AND c.closes_at > now() AS running,"
    " EXISTS (SELECT 1 FROM elections.consultation_answer AS a WHERE a.consultation_id = c.id"
    " AND a.respondent_key = $2) AS answered FROM elections.consultation AS c WHERE c.id = $1"
)


class ConsultationRepository(Repository):
    def add(self, instance: object) -> None:
        self.session.add(instance)

    async def get(self, consultation_id: uuid.UUID, *, for_update: bool = False) -> Consultation | None:
        query = select(Consultation).where(Consultation.id == consultation_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self,
        communities: list[uuid.UUID] | None,
        status: str | None,
        q: str | None,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> Sequence[Consultation]:
        query = select(Consultation).order_by(Consultation.created_at.desc(), Consultation.id.desc()).limit(limit)
        if communities is not None:
            query = query.where(Consultation.community_id.in_(communities))
        if status is not None:
            query = query.where(Consultation.status == status)
        if q:
            pattern = like_pattern(q)
            query = query.where(
                or_(
                    Consultation.title.ilike(pattern, escape="\\"), Consultation.description.ilike(pattern, escape="\\")
                )
            )
        if after is not None:
            query = query.where(
                after_keyset([Consultation.__table__.c.created_at, Consultation.__table__.c.id], after, [True, True])
            )
        return (await self.session.execute(query)).scalars().all()

    async def context(self, consultation_id: uuid.UUID) -> tuple[uuid.UUID, str, list[dict[str, Any]]] | None:
        """Community, audience and questions (none of them changes after creation), autocommitted."""
        async with self.hot() as connection:
            row = await connection.fetchrow(
                "SELECT community_id, audience, questions FROM elections.consultation WHERE id = $1", consultation_id
            )
        if row is None:
            return None
        questions = row["questions"]
        return row["community_id"], row["audience"], loads(questions) if isinstance(questions, str) else questions

    async def insert_answer(
        self, consultation_id: uuid.UUID, key: str, subject: str, answers: dict[str, Any]
    ) -> dt.datetime | tuple[bool, bool]:
        """The answer's time, or (still running, already answered) when nothing was inserted."""
        async with self.hot() as connection:
            created = await connection.fetchval(INSERT_ANSWER, consultation_id, key, subject, dumps(answers).decode())
            if created is not None:
                return created  # type: ignore[no-any-return]
            row = await connection.fetchrow(ANSWER_REFUSED, consultation_id, key)
        return bool(row["running"]), bool(row["answered"])

    async def answers(self, consultation_id: uuid.UUID) -> list[dict[str, Any]]:
        query = select(ConsultationAnswer.answers).where(ConsultationAnswer.consultation_id == consultation_id)
        return list((await self.session.scalars(query)).all())

    async def open_due(self, now: dt.datetime) -> list[Consultation]:
        opened = await self.session.execute(
            update(Consultation)
            .where(Consultation.status == "draft", Consultation.opens_at <= now, Consultation.closes_at > now)
            .values(status="open", opened_at=now, version=Consultation.version + 1)
            .returning(Consultation)
            .execution_options(synchronize_session=False)
        )
        return list(opened.scalars().all())

    async def close_due(self, now: dt.datetime) -> list[Consultation]:
        closed = await self.session.execute(
            update(Consultation)
            .where(Consultation.status == "open", Consultation.closes_at <= now)
            .values(status="closed", closed_at=now, version=Consultation.version + 1)
            .returning(Consultation)
            .execution_options(synchronize_session=False)
        )
        return list(closed.scalars().all())
