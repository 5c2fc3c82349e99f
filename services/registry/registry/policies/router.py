"""HTTP routes of the policies domain: `/v1/policies` and an enterprise's "policies for you"."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from registry.common import READERS
from registry.database import platform_tables
from registry.policies import service
from registry.policies.schemas import (
    AnswerIn,
    AnswerOut,
    MatchingOut,
    MatchOut,
    OfferOut,
    PolicyCreate,
    PolicyOut,
    TakeUp,
)
from shared.auth import CurrentIdentity, Role, allow
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_keyset, link_next
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/policies", tags=["policies"])
inbox_router = APIRouter(prefix="/v1/enterprises", tags=["policies"])
PUBLISHERS = (Role.platform_admin, Role.community_staff)


@router.post(
    "",
    status_code=201,
    summary="Publish a policy and offer it to the enterprises it matches",
    dependencies=[allow(*PUBLISHERS)],
    responses=problem_responses(403, 404, 409, 422),
)
async def publish_policy(
    body: PolicyCreate, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Match every rule against today's registry facts in one query; accepts `Idempotency-Key`."""
    idempotency = Idempotency(uow, platform_tables.idempotency_key, request, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    created = await service.publish(uow, identity, body)
    headers = {"Location": f"/v1/policies/{created.id}", "ETag": f'"v{created.version}"'}
    return await idempotency.complete(created, headers=headers)


@router.get("", summary="List policies", dependencies=[allow(*READERS)], responses=problem_responses(400, 422))
async def list_policies(
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    community_id: Annotated[uuid.UUID | None, Query(description="That community's own policies")] = None,
    district: Annotated[bool | None, Query(description="`true`: district-wide only; `false`: community only")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[PolicyOut]:
    """Newest first (keyset pages)."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    page = await service.list_policies(uow, community_id=community_id, district=district, after=after, limit=limit)
    link_next(request, response, page.next_cursor)
    return page


@router.get("/{policy_id}", summary="Get a policy", dependencies=[allow(*READERS)], responses=problem_responses(404))
async def get_policy(policy_id: uuid.UUID, uow: UnitOfWorkDep) -> PolicyOut:
    """One policy with its rules and how many enterprises it was offered to."""
    return await service.get(uow, policy_id)


@router.get(
    "/{policy_id}/matches",
    summary="The enterprises a policy was offered to, and why",
    dependencies=[allow(*PUBLISHERS)],
    responses=problem_responses(400, 403, 404, 422),
)
async def list_matches(
    policy_id: uuid.UUID,
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    answer: Annotated[Literal["applied", "not_relevant", "unanswered"] | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[MatchOut]:
    """By enterprise id; each match lists, per rule, the fact that satisfied it. Staff see their community's."""
    after = decode_keyset(cursor, uuid.UUID)
    page = await service.matches(
        uow, identity, policy_id, answer=answer, after=after[0] if after else None, limit=limit
    )
    link_next(request, response, page.next_cursor)
    return page


@router.post(
    "/{policy_id}/matching",
    summary="Match a policy again against today's facts",
    dependencies=[allow(*PUBLISHERS)],
    responses=problem_responses(403, 404),
)
async def match_again(policy_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> MatchingOut:
    """Enterprises that fit now (new, grown, moved in) are offered it; earlier offers and answers stand."""
    return await service.match_again(uow, identity, policy_id)


@router.get(
    "/{policy_id}/take-up",
    summary="Take-up of a policy",
    dependencies=[allow(*PUBLISHERS)],
    responses=problem_responses(403, 404),
)
async def take_up(policy_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity) -> TakeUp:
    """Matched, applied, not relevant, unanswered (among the matches the caller may see)."""
    return await service.take_up(uow, identity, policy_id)


@inbox_router.get(
    "/{enterprise_id}/policies",
    summary="Policies for you (the enterprise's representative)",
    dependencies=[allow(Role.enterprise_rep)],
    responses=problem_responses(400, 403, 422),
)
async def list_offers(
    enterprise_id: uuid.UUID,
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[OfferOut]:
    """The policies offered to your own enterprise, newest first, with why each matched and your answer."""
    after = decode_keyset(cursor, dt.datetime.fromisoformat, uuid.UUID)
    page = await service.offers(uow, identity, enterprise_id, after=after, limit=limit)
    link_next(request, response, page.next_cursor)
    return page


@inbox_router.post(
    "/{enterprise_id}/policies/{policy_id}/answer",
    status_code=201,
    summary="Answer a policy offer: applied or not relevant",
    dependencies=[allow(Role.enterprise_rep)],
    responses={
        **problem_responses(403, 404, 409, 422),
        200: {"description": "The same answer again (nothing changed)", "model": AnswerOut},
    },
)
async def answer_offer(
    enterprise_id: uuid.UUID,
    policy_id: uuid.UUID,
    body: AnswerIn,
    response: Response,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> AnswerOut:
    """One answer per enterprise and policy: 201 the first time, 200 for the same again, 409 for another."""
    answered, created = await service.answer(uow, identity, enterprise_id, policy_id, body)
    if not created:
        response.status_code = 200
    return answered
