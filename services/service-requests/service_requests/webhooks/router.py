"""`/v1/webhook-endpoints`: a partner's Standard Webhooks endpoints (partner role only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from service_requests.webhooks import service
from service_requests.webhooks.dependencies import WebhookRepositoryDep
from service_requests.webhooks.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookMessageRead,
)
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import IfMatch, set_etag
from shared.errors import problem_responses

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhook-endpoints"])

PARTNER = (Role.partner,)


@router.post(
    "",
    status_code=201,
    summary="Register a webhook endpoint",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(422),
)
async def create_endpoint(
    body: WebhookEndpointCreate,
    request: Request,
    response: Response,
    repository: WebhookRepositoryDep,
    identity: CurrentIdentity,
) -> WebhookEndpointCreated:
    """The answer carries the `whsec_...` signing secret; it is never shown again."""
    allow_private: bool = request.app.state.settings.webhooks_allow_private
    created = await service.create(repository, identity, body, allow_private=allow_private)
    set_etag(response, created.version)
    response.headers["Location"] = f"/v1/webhook-endpoints/{created.id}"
    return created


@router.get("", summary="List my webhook endpoints", dependencies=[allow(*PARTNER)])
async def list_endpoints(repository: WebhookRepositoryDep, identity: CurrentIdentity) -> list[WebhookEndpointRead]:
    return await service.list_endpoints(repository, identity)


@router.get(
    "/{endpoint_id}",
    summary="Get a webhook endpoint",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404),
)
async def get_endpoint(
    endpoint_id: uuid.UUID, response: Response, repository: WebhookRepositoryDep, identity: CurrentIdentity
) -> WebhookEndpointRead:
    row = await service.get(repository, identity, endpoint_id)
    set_etag(response, row.version)
    return service.to_read(row)


@router.post(
    "/{endpoint_id}/rotate-secret",
    summary="Rotate the signing secret (24 h overlap)",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404, 409, 412, 428),
)
async def rotate_secret(
    endpoint_id: uuid.UUID,
    expected: IfMatch,
    response: Response,
    repository: WebhookRepositoryDep,
    identity: CurrentIdentity,
) -> WebhookEndpointCreated:
    """The new secret is shown once; deliveries carry both signatures for 24 hours."""
    rotated = await service.rotate(repository, identity, endpoint_id, expected)
    set_etag(response, rotated.version)
    return rotated


@router.post(
    "/{endpoint_id}/disable",
    summary="Disable a webhook endpoint",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404, 412, 428),
)
async def disable_endpoint(
    endpoint_id: uuid.UUID,
    expected: IfMatch,
    response: Response,
    repository: WebhookRepositoryDep,
    identity: CurrentIdentity,
) -> WebhookEndpointRead:
    disabled = await service.disable(repository, identity, endpoint_id, expected)
    set_etag(response, disabled.version)
    return disabled


@router.get(
    "/{endpoint_id}/messages",
    summary="Messages of an endpoint with their attempts",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404),
)
async def list_messages(
    endpoint_id: uuid.UUID,
    repository: WebhookRepositoryDep,
    identity: CurrentIdentity,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[WebhookMessageRead]:
    """Newest first; each with every attempt (status, duration, first 4 KB of the answer)."""
    return await service.messages(repository, identity, endpoint_id, limit)


@router.post(
    "/{endpoint_id}/messages/{message_id}/redeliver",
    status_code=202,
    summary="Queue a message for delivery again",
    dependencies=[allow(*PARTNER)],
    responses=problem_responses(404),
)
async def redeliver_message(
    endpoint_id: uuid.UUID, message_id: str, repository: WebhookRepositoryDep, identity: CurrentIdentity
) -> Response:
    await service.redeliver(repository, identity, endpoint_id, message_id)
    return Response(status_code=202)
