"""Webhook endpoints of a partner: register (secret shown once), rotate with overlap, disable, inspect."""

from __future__ import annotations

import uuid
from typing import Any

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
from shared.auth import Identity
from shared.concurrency import check_version
from shared.errors import Forbidden
from shared.i18n import Text
from shared.webhooks import ROTATION_OVERLAP, check_endpoint_url, new_secret


def owner_of(identity: Identity) -> uuid.UUID:
    """Endpoints belong to the calling partner; a partner identity without partner_id owns nothing."""
    if identity.partner_id is None:
        raise Forbidden(Text("需要合作方身份", "A partner identity is required"))
    return identity.partner_id


def to_read(row: Any) -> WebhookEndpointRead:
    return WebhookEndpointRead.model_validate(row, from_attributes=True)


async def create(
    repository: WebhookRepository, identity: Identity, body: WebhookEndpointCreate, *, allow_private: bool
) -> WebhookEndpointCreated:
    owner = owner_of(identity)
    await check_endpoint_url(body.url, allow_private=allow_private)
    secret = new_secret()
    row = await repository.create(
        owner,
        {"url": body.url, "event_types": body.event_types, "description": body.description, "secret": secret},
    )
    return WebhookEndpointCreated(**to_read(row).model_dump(), secret=secret)


async def get(repository: WebhookRepository, identity: Identity, endpoint_id: uuid.UUID, *, lock: bool = False) -> Any:
    row = await repository.get(owner_of(identity), endpoint_id, for_update=lock)
    if row is None:  # another partner's endpoint is as absent as a missing one
        raise WebhookEndpointNotFound()
    return row


async def list_endpoints(repository: WebhookRepository, identity: Identity) -> list[WebhookEndpointRead]:
    return [to_read(row) for row in await repository.list(owner_of(identity))]


async def rotate(
    repository: WebhookRepository, identity: Identity, endpoint_id: uuid.UUID, expected_version: int
) -> WebhookEndpointCreated:
    """New secret now; the old one still signs (second signature) for 24 hours."""
    row = await get(repository, identity, endpoint_id, lock=True)
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
    repository: WebhookRepository, identity: Identity, endpoint_id: uuid.UUID, expected_version: int
) -> WebhookEndpointRead:
    row = await get(repository, identity, endpoint_id, lock=True)
    check_version(expected_version, row.version)
    if row.disabled_at is not None:
        return to_read(row)
    return to_read(
        await repository.update(endpoint_id, {"disabled_at": repository.now(), "disabled_reason": "partner"})
    )


async def messages(
    repository: WebhookRepository, identity: Identity, endpoint_id: uuid.UUID, limit: int
) -> list[WebhookMessageRead]:
    await get(repository, identity, endpoint_id)
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


async def redeliver(repository: WebhookRepository, identity: Identity, endpoint_id: uuid.UUID, message_id: str) -> None:
    await get(repository, identity, endpoint_id)
    if await repository.message_of(endpoint_id, message_id) is None:
        raise WebhookMessageNotFound()
    await repository.redeliver(message_id)
