"""An employee's or representative's token carries the communities of their enterprise's sites
(the services scope requests, candidacies and ballots by `community_ids`).

The copy is taken from the registry whenever an enterprise role is granted, and again when the
registry's feed reports a site starting or ending (`OccupancyStarted`, `OccupancyEnded`). A
registry that cannot be reached leaves the copy as it was (logged); the next grant or event
fetches again.
"""

from __future__ import annotations

import uuid

import httpx
import structlog

from identity.enterprises.repository import EnterpriseCommunityRepository
from identity.settings import Settings
from shared.clients import service_headers
from shared.uow import UnitOfWork

logger = structlog.get_logger("identity.enterprises")


async def refresh_communities(uow: UnitOfWork, enterprise_id: uuid.UUID) -> None:
    """Copy the registry's communities of the enterprise today."""
    settings: Settings = uow.app.state.settings
    client: httpx.AsyncClient = uow.app.state.registry_client
    try:
        response = await client.get(
            f"/v1/enterprises/{enterprise_id}",
            headers=service_headers("identity", settings.internal_token_secret.get_secret_value()),
        )
        if response.status_code == 404:
            await uow.repository(EnterpriseCommunityRepository).replace(enterprise_id, [])
            return
        response.raise_for_status()
        community_ids = [uuid.UUID(value) for value in response.json()["community_ids"]]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        logger.warning("enterprise_communities_unavailable", enterprise_id=str(enterprise_id), error=type(exc).__name__)
        return
    await uow.repository(EnterpriseCommunityRepository).replace(enterprise_id, community_ids)
