"""Webhook endpoints of a partner: register (secret shown once), rotate with overlap, disable, inspect."""

from __future__ import annotations

import uuid
from typing import Any

from service_requests.settings import Settings
from service_requests.webhooks.exceptions import (
    WebhookEndpointDisabled,
    WebhookEndpointNotFound,
    WebhookMessageNotFound,
)
from service_requests.webhooks.repository import WebhookRepository
from service_requests.webhooks.schemas import (
    WebhookAttemptRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookMessageRead,
)
from service_requests.webhooks.signing import ROTATION_OVERLAP, new_secret
from service_requests.webhooks.urls import check_endpoint_url
from shared.auth import Identity
from shared.concurrency import check_version
from shared.errors import Forbidden
from shared.i18n import Text
from shared.uow import UnitOfWork


def owner_of(identity: Identity) -> uuid.UUID:
    """Endpoints belong to the calling partner; a partner identity without partner_id owns nothing."""
    if identity.partner_id is None:
        raise Forbidden(Text("需要合作方身份", "A partner identity is required"))
    return identity.partner_id


def to_read(row: Any) -> WebhookEndpointRead:
    return WebhookEndpointRead.model_validate(row, from_attributes=True)


async def create(uow: UnitOfWork, identity: Identity, body: WebhookEndpointCreate) -> WebhookEndpointCreated:
    """Register an endpoint of the calling partner; its signing secret is in this answer only."""
    owner = owner_of(identity)
    settings: Settings = uow.app.state.settings
    await check_endpoint_url(body.url, allow_private=settings.webhooks_allow_private)
    secret = new_secret()
    row = await uow.repository(WebhookRepository).create(
        owner,
        {"url": body.url, "event_types": body.event_types, "description": body.description, "secret": secret},
    )
    return WebhookEndpointCreated(**to_read(row).model_dump(), secret=secret)


async def _owned(
    repository: WebhookRepository, identity: Identity, endpoint_id: uuid.UUID, *, lock: bool = False
) -> Any:
    row = await repository.get(owner_of(identity), endpoint_id, for_update=lock)
    if row is None:  # another partner's endpoint is as absent as a missing one
        raise WebhookEndpointNotFound()
    return row


async def get(uow: UnitOfWork, identity: Identity, endpoint_id: uuid.UUID) -> WebhookEndpointRead:
    """One endpoint of the calling partner, or 404 (another partner's included)."""
    return to_read(await _owned(uow.repository(WebhookRepository), identity, endpoint_id))


async def list_endpoints(uow: UnitOfWork, identity: Identity) -> list[WebhookEndpointRead]:
    """The calling partner's endpoints, oldest first."""
    return [to_read(row) for row in await uow.repository(WebhookRepository).list(owner_of(identity))]


async def rotate(
    uow: UnitOfWork, identity: Identity, endpoint_id: uuid.UUID, expected_version: int
) -> WebhookEndpointCreated:
    """New secret now; the old one still signs (second signature) for 24 hours."""
    repository = uow.repository(WebhookRepository)
    row = await _owned(repository, identity, endpoint_id, lock=True)
    check_version(expected_version, row.version)
    if row.disabled_at is not None:
        raise WebhookEndpointDisabled()
    secret = new_secret()
    updated = await repository.update(
        endpoint_id,
        {
            "secret": secret,
            "previous_secret": row.secret,
            "previous_secret_expires_at": repository.now() + ROTATION_OVERLAP,
        },
    )
    return WebhookEndpointCreated(**to_read(updated).model_dump(), secret=secret)


async def disable(
    uow: UnitOfWork, identity: Identity, endpoint_id: uuid.UUID, expected_version: int
) -> WebhookEndpointRead:
    """No further deliveries to this endpoint (disabling a disabled one changes nothing)."""
    repository = uow.repository(WebhookRepository)
    row = await _owned(repository, identity, endpoint_id, lock=True)
    check_version(expected_version, row.version)
    if row.disabled_at is not None:
        return to_read(row)
    return to_read(
        await repository.update(endpoint_id, {"disabled_at": repository.now(), "disabled_reason": "partner"})
    )


async def messages(uow: UnitOfWork, identity: Identity, endpoint_id: uuid.UUID, limit: int) -> list[WebhookMessageRead]:
    """The endpoint's newest messages, each with its attempts."""
    repository = uow.repository(WebhookRepository)
    await _owned(repository, identity, endpoint_id)
    rows = await repository.messages(endpoint_id, limit)
    attempts: dict[str, list[WebhookAttemptRead]] = {row.id: [] for row in rows}
    for attempt in await repository.attempts(list(attempts)):
        attempts[attempt.message_id].append(WebhookAttemptRead.model_validate(attempt, from_attributes=True))
    return [
        WebhookMessageRead(
            id=row.id,
            event_type=row.event_type,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status_code=row.last_status_code,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            attempt_log=attempts[row.id],
        )
        for row in rows
    ]


async def redeliver(uow: UnitOfWork, identity: Identity, endpoint_id: uuid.UUID, message_id: str) -> None:
    """Make a message of the endpoint due now, whatever its state."""
    repository = uow.repository(WebhookRepository)
    await _owned(repository, identity, endpoint_id)
    if await repository.message_of(endpoint_id, message_id) is None:
        raise WebhookMessageNotFound()
    await repository.redeliver(message_id)
