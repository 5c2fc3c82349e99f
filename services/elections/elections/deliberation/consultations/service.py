"""Consultations (征询): staff survey the community's enterprises (one answer each, by the representative) or
employees (one each); answers only while open; results, counts only, once closed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from elections.deliberation.access import ensure_staff, event, member_of, visible_communities
from elections.deliberation.consultations.models import Consultation
from elections.deliberation.consultations.repository import ConsultationRepository
from elections.deliberation.consultations.schemas import (
    AnswerIn,
    AnswerReceipt,
    ConsultationCreate,
    ConsultationOut,
    ConsultationResults,
    ConsultationTransition,
    Datatype,
    QuestionResult,
)
from elections.deliberation.exceptions import (
    AlreadyAnswered,
    ConsultationNotClosed,
    ConsultationNotFound,
    ConsultationNotOpen,
    ConsultationTransitionRefused,
    InvalidAnswers,
    NotInAudience,
)
from elections.deliberation.states import CONSULTATION_TRANSITIONS
from elections.election.exceptions import NotInCommunity
from shared.auth import Identity, Role
from shared.db import utcnow
from shared.pagination import Page, encode_cursor
from shared.uow import UnitOfWork

# a consultation's community, audience and questions never change: each process keeps them once read
_CONTEXTS: dict[uuid.UUID, tuple[uuid.UUID, str, list[dict[str, Any]]]] = {}
_CONTEXTS_KEPT = 1000


def present(consultation: Consultation) -> ConsultationOut:
    return ConsultationOut.model_validate(consultation)


async def create(uow: UnitOfWork, identity: Identity, body: ConsultationCreate) -> ConsultationOut:
    ensure_staff(identity, body.community_id)
    consultation = Consultation(
        community_id=body.community_id,
        title=body.title,
        description=body.description,
        audience=body.audience,
        questions=[q.model_dump(mode="json") for q in sorted(body.questions, key=lambda q: q.order)],
        opens_at=body.opens_at,
        closes_at=body.closes_at,
    )
    uow.repository(ConsultationRepository).add(consultation)
    await uow.flush()
    return present(consultation)


async def _load(
    uow: UnitOfWork, identity: Identity, consultation_id: uuid.UUID, *, for_update: bool = False
) -> Consultation:
    consultation = await uow.repository(ConsultationRepository).get(consultation_id, for_update=for_update)
    if consultation is None or not member_of(identity, consultation.community_id):
        raise ConsultationNotFound()
    return consultation


async def get(uow: UnitOfWork, identity: Identity, consultation_id: uuid.UUID) -> ConsultationOut:
    return present(await _load(uow, identity, consultation_id))


async def page(
    uow: UnitOfWork,
    identity: Identity,
    community_id: uuid.UUID | None,
    status: str | None,
    q: str | None,
    after: tuple[Any, ...] | None,
    limit: int,
) -> Page[ConsultationOut]:
    communities = visible_communities(identity, community_id)
    rows = await uow.repository(ConsultationRepository).page(communities, status, q, after, limit + 1)
    last = rows[limit - 1] if len(rows) > limit else None
    cursor = encode_cursor([last.created_at.isoformat(), last.id]) if last else None
    return Page(items=[present(row) for row in rows[:limit]], next_cursor=cursor)


async def _opened(uow: UnitOfWork, consultation: Consultation) -> None:
    await event(
        uow,
        "ConsultationOpened",
        "consultation",
        consultation.id,
        consultation.community_id,
        title=consultation.title,
        audience=consultation.audience,
        closes_at=consultation.closes_at.isoformat(),
    )


async def _closed(uow: UnitOfWork, consultation: Consultation) -> None:
    await event(
        uow,
        "ConsultationClosed",
        "consultation",
        consultation.id,
        consultation.community_id,
        title=consultation.title,
        audience=consultation.audience,
    )


async def transition(
    uow: UnitOfWork, identity: Identity, consultation_id: uuid.UUID, body: ConsultationTransition
) -> ConsultationOut:
    """Staff open a draft (before its close) or close an open consultation early."""
    consultation = await _load(uow, identity, consultation_id, for_update=True)
    ensure_staff(identity, consultation.community_id)
    now = utcnow()
    if body.to not in CONSULTATION_TRANSITIONS[consultation.status] or (
        body.to == "open" and consultation.closes_at <= now
    ):
        raise ConsultationTransitionRefused()
    consultation.status = body.to
    if body.to == "open":
        consultation.opened_at = now
        await _opened(uow, consultation)
    else:
        consultation.closed_at = now
        await _closed(uow, consultation)
    await uow.flush()
    return present(consultation)


def _check(questions: list[dict[str, Any]], answers: dict[str, Any]) -> None:
    """Every answer fits its question's kind; required questions are answered."""
    by_code = {q["code"]: q for q in questions}
    problems = [
        {"detail": "no such question", "pointer": f"/answers/{code}"} for code in answers if code not in by_code
    ]
    for code, question in by_code.items():
        value = answers.get(code)
        if value is None:
            if question.get("required"):
                problems.append({"detail": "required", "pointer": f"/answers/{code}"})
            continue
        keys = {choice["key"] for choice in question.get("choices", [])}
        kind = question["datatype"]
        fits = {
            Datatype.single_choice: isinstance(value, str) and value in keys,
            Datatype.multi_choice: isinstance(value, list) and len(set(value)) == len(value) and set(value) <= keys,
            Datatype.number: isinstance(value, int | float),
            Datatype.date: isinstance(value, str) and _is_date(value),
            Datatype.string: isinstance(value, str) and len(value) <= 200,
            Datatype.text: isinstance(value, str) and len(value) <= 4000,
        }[Datatype(kind)]
        if not fits:
            problems.append({"detail": f"not a valid {kind} answer", "pointer": f"/answers/{code}"})
    if problems:
        raise InvalidAnswers(errors=problems)


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


async def answer(uow: UnitOfWork, identity: Identity, consultation_id: uuid.UUID, body: AnswerIn) -> AnswerReceipt:
    """A representative answers for their enterprise, an employee for themself, once, while it is open."""
    repository = uow.repository(ConsultationRepository)
    context = _CONTEXTS.get(consultation_id) or await repository.context(consultation_id)
    if context is None:
        raise ConsultationNotFound()
    if len(_CONTEXTS) >= _CONTEXTS_KEPT:
        _CONTEXTS.clear()
    _CONTEXTS[consultation_id] = context
    community_id, audience, questions = context
    if community_id not in identity.community_ids or identity.enterprise_id is None:
        raise NotInCommunity()
    if audience == "enterprises" and Role.enterprise_rep in identity.roles:
        respondent, key = "enterprise", str(identity.enterprise_id)
    elif audience == "employees" and Role.employee in identity.roles:
        respondent, key = "person", identity.subject
    else:
        raise NotInAudience()
    _check(questions, body.answers)
    outcome = await repository.insert_answer(consultation_id, key, identity.subject, body.answers)
    if isinstance(outcome, tuple):
        running, answered = outcome
        raise AlreadyAnswered() if running and answered else ConsultationNotOpen()
    return AnswerReceipt(consultation_id=consultation_id, respondent=respondent, answered_at=outcome)


async def results(uow: UnitOfWork, identity: Identity, consultation_id: uuid.UUID) -> ConsultationResults:
    """Counts per choice, number ranges, and how many answered each question; never a name or a text."""
    consultation = await _load(uow, identity, consultation_id)
    if consultation.status != "closed" or consultation.closed_at is None:
        raise ConsultationNotClosed()
    answers = await uow.repository(ConsultationRepository).answers(consultation.id)
    out: list[QuestionResult] = []
    for question in consultation.questions:
        code, kind = question["code"], Datatype(question["datatype"])
        values = [a[code] for a in answers if a.get(code) is not None]
        result = QuestionResult(code=code, datatype=kind, answered=len(values))
        if kind in (Datatype.single_choice, Datatype.multi_choice):
            counts = {choice["key"]: 0 for choice in question["choices"]}
            for value in values:
                for key in value if isinstance(value, list) else [value]:
                    counts[key] = counts.get(key, 0) + 1
            result.choices = counts
        elif kind is Datatype.number and values:
            numbers = [float(v) for v in values]
            result.minimum, result.maximum, result.mean = min(numbers), max(numbers), sum(numbers) / len(numbers)
        out.append(result)
    return ConsultationResults(
        consultation_id=consultation.id, closed_at=consultation.closed_at, answers=len(answers), questions=out
    )


async def run_schedule(uow: UnitOfWork, now: dt.datetime) -> int:
    """A job: drafts whose `opens_at` came open, open ones whose `closes_at` passed close, each with its event."""
    repository = uow.repository(ConsultationRepository)
    opened = await repository.open_due(now)
    for consultation in opened:
        await _opened(uow, consultation)
    closed = await repository.close_due(now)
    for consultation in closed:
        await _closed(uow, consultation)
    return len(opened) + len(closed)
