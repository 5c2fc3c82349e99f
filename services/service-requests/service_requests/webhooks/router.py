"""`/v1/webhook-endpoints`: a partner's Standard Webhooks endpoints (partner role only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from service_requests.database import platform_tables
from service_requests.webhooks import service
from service_requests.webhooks.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookMessageRead,
)
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, set_etag
from shared.errors import problem_responses
from shared.idempotency import Idempotency
from shared.iso import IntegerText
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhook-endpoints"])

PARTNER = (Role.partner,)


# A secret in an answer is never cached on the way; a retry with the same Idempotency-Key gets it again.
_NO_STORE = {"Cache-Control": "no-store"}


def _idempotency(request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity) -> Idempotency:
    return Idempotency(uow, platform_tables.idempotency_key, request, identity)


@router.post(
    "",
    status_code=201,
    response_model=WebhookEndpointCreated,
    summary="Register a webhook endpoint",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(409, 422),
)
async def create_endpoint(
    body: WebhookEndpointCreate,
    request: Request,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> Response:
    """The answer carries the `whsec_...` signing secret; it is shown only in this answer (and in its
    replays: `Idempotency-Key` is accepted, so a retry after a lost answer does not register twice)."""
    idempotency = _idempotency(request, uow, identity)
    if (replay := await idempotency.begin(body)) is not None:
        return replay
    created = await service.create(uow, identity, body)
    headers = {"Location": f"/v1/webhook-endpoints/{created.id}", "ETag": f'"v{created.version}"', **_NO_STORE}
    return await idempotency.complete(created, headers=headers)


@router.get("", summary="List my webhook endpoints", dependencies=[allow(*PARTNER)])
async def list_endpoints(uow: UnitOfWorkDep, identity: CurrentIdentity) -> list[WebhookEndpointRead]:
    return await service.list_endpoints(uow, identity)


@router.get(
    "/{endpoint_id}",
    summary="Get a webhook endpoint",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404),
)
async def get_endpoint(
    endpoint_id: uuid.UUID, response: Response, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> WebhookEndpointRead:
    endpoint = await service.get(uow, identity, endpoint_id)
    set_etag(response, endpoint.version)
    return endpoint


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=WebhookEndpointCreated,
    summary="Rotate the signing secret (24 h overlap)",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404, 409, 412, 428),
)
async def rotate_secret(
    endpoint_id: uuid.UUID,
    expected: IfMatch,
    request: Request,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> Response:
    """The new secret is shown once; deliveries carry both signatures for 24 hours. With an
    `Idempotency-Key`, a retry replays the same new secret instead of failing on the old ETag."""
    idempotency = _idempotency(request, uow, identity)
    if (replay := await idempotency.begin(None)) is not None:
        return replay
    rotated = await service.rotate(uow, identity, endpoint_id, expected)
    return await idempotency.complete(rotated, status_code=200, headers={"ETag": f'"v{rotated.version}"', **_NO_STORE})


@router.post(
    "/{endpoint_id}/disable",
    summary="Disable a webhook endpoint",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404, 412, 428),
)
async def disable_endpoint(
    endpoint_id: uuid.UUID,
    expected: IfMatch,
    request: Request,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> Response:
    """No further deliveries. `Idempotency-Key` accepted."""
    idempotency = _idempotency(request, uow, identity)
    if (replay := await idempotency.begin(None)) is not None:
        return replay
    disabled = await service.disable(uow, identity, endpoint_id, expected)
    return await idempotency.complete(disabled, status_code=200, headers={"ETag": f'"v{disabled.version}"'})


@router.get(
    "/{endpoint_id}/messages",
    summary="Messages of an endpoint with their attempts",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404),
)
async def list_messages(
    endpoint_id: uuid.UUID,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    limit: Annotated[int, Query(ge=1, le=100), IntegerText] = 50,
) -> list[WebhookMessageRead]:
    """Newest first; each with every attempt (status, duration, first 4 KB of the answer)."""
    return await service.messages(uow, identity, endpoint_id, limit)


@router.post(
    "/{endpoint_id}/messages/{message_id}/redeliver",
    status_code=202,
    summary="Queue a message for delivery again",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404),
)
async def redeliver_message(
    endpoint_id: uuid.UUID,
    message_id: str,
    request: Request,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
) -> Response:
    """Due now, whatever its state. `Idempotency-Key` accepted; no `If-Match`: a message has no
    version, and queueing it twice delivers it once more with the same `webhook-id`."""
    idempotency = _idempotency(request, uow, identity)
    if (replay := await idempotency.begin(None)) is not None:
        return replay
    await service.redeliver(uow, identity, endpoint_id, message_id)
    return await idempotency.complete({"status": "queued"}, status_code=202)
