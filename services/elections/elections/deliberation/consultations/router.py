"""`/v1/consultations`: surveys of the community's enterprises or employees (征询) and their published counts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from elections.deliberation.consultations import service
from elections.deliberation.consultations.schemas import (
    AnswerIn,
    AnswerReceipt,
    ConsultationCreate,
    ConsultationOut,
    ConsultationResults,
    ConsultationTransition,
)
from elections.deliberation.roles import MEMBERS, PEOPLE, STAFF
from elections.deliberation.states import ConsultationStatus
from shared.auth import CurrentIdentity, allow
from shared.concurrency import set_etag
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_keyset, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/consultations", tags=["deliberation"])


def _tagged(out: ConsultationOut, response: Response) -> ConsultationOut:
    set_etag(response, out.version)
    return out


@router.post(
    "",
    status_code=201,
    summary="Prepare a consultation (a draft) with typed questions",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 422),
)
async def create_consultation(
    body: ConsultationCreate, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ConsultationOut:
    """Staff of the community; questions use the catalogue's form kinds."""
    out = await service.create(uow, identity, body)
    response.headers["Location"] = f"/v1/consultations/{out.id}"
    return _tagged(out, response)


@router.get("", summary="List consultations", dependencies=[allow(*MEMBERS)], responses=problem_responses(400))
async def list_consultations(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    request: Request,
    response: Response,
    limit: Limit = 20,
    cursor: Cursor = None,
    community_id: uuid.UUID | None = Query(None, description="Only this community's consultations"),
    status: ConsultationStatus | None = Query(None, description="Only consultations in this state"),
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Words in the title or text")] = None,
) -> Page[ConsultationOut]:
    """Newest first; the communities of your token (admins: every one)."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    page = await service.page(uow, identity, community_id, status, q, after, limit)
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/{consultation_id}", summary="One consultation", dependencies=[allow(*MEMBERS)], responses=problem_responses(404)
)
async def get_consultation(
    consultation_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, response: Response
) -> ConsultationOut:
    """Members of the community (others: 404 `CONSULTATION_NOT_FOUND`)."""
    return _tagged(await service.get(uow, identity, consultation_id), response)


@router.post(
    "/{consultation_id}/transitions",
    summary="Open a draft consultation, or close an open one early",
    dependencies=[allow(*STAFF)],
    responses=problem_responses(403, 404, 409, 422),
)
async def transition_consultation(
    consultation_id: uuid.UUID,
    body: ConsultationTransition,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    response: Response,
) -> ConsultationOut:
    """Staff of the community; the periodic job opens at `opens_at` and closes at `closes_at`."""
    return _tagged(await service.transition(uow, identity, consultation_id, body), response)


@router.post(
    "/{consultation_id}/answers",
    status_code=201,
    summary="Answer a consultation (once per enterprise, or once per person)",
    dependencies=[allow(*PEOPLE)],
    responses=problem_responses(403, 404, 409, 422),
)
async def answer_consultation(
    consultation_id: uuid.UUID, body: AnswerIn, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> AnswerReceipt:
    """An enterprise consultation: its representative; an employee one: each employee. Twice is 409
    `ALREADY_ANSWERED`, before opening or after closing 409 `CONSULTATION_NOT_OPEN`."""
    return await service.answer(uow, identity, consultation_id, body)


@router.get(
    "/{consultation_id}/results",
    summary="The results, once closed: counts only",
    dependencies=[allow(*MEMBERS)],
    responses=problem_responses(404, 409),
)
async def consultation_results(
    consultation_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> ConsultationResults:
    """Members of the community; 409 `CONSULTATION_NOT_CLOSED` while it runs."""
    return await service.results(uow, identity, consultation_id)
