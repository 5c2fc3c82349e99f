"""What every deliberation module shares: who belongs to a community, staff checks, and the outbox event."""

from __future__ import annotations

import uuid
from typing import Any

from elections.database import platform_tables
from elections.election.exceptions import NotStaffOfCommunity
from shared.auth import Identity, Role
from shared.outbox import record_event
from shared.uow import UnitOfWork


def member_of(identity: Identity, community_id: uuid.UUID) -> bool:
    """Admins, the community's staff, and representatives and employees whose token names the community."""
    return identity.staff_of(community_id) or (
        identity.has(Role.enterprise_rep, Role.employee) and community_id in identity.community_ids
    )


def ensure_staff(identity: Identity, community_id: uuid.UUID) -> None:
    if not identity.staff_of(community_id):
        raise NotStaffOfCommunity()


def visible_communities(identity: Identity, community_id: uuid.UUID | None) -> list[uuid.UUID] | None:
    """The communities a listing may show: None for every one (admins), else those of the token (narrowed)."""
    if Role.platform_admin in identity.roles:
        return None if community_id is None else [community_id]
    mine = sorted(identity.community_ids)
    return [c for c in mine if c == community_id] if community_id is not None else mine


async def event(
    uow: UnitOfWork, event_type: str, aggregate: str, aggregate_id: uuid.UUID, community_id: uuid.UUID, **payload: Any
) -> None:
    """A deliberation event on the elections feed, in the same transaction (the one outbox writer)."""
    body = {f"{aggregate}_id": str(aggregate_id), "community_id": str(community_id)} | payload
    await record_event(uow.session, platform_tables.outbox_event, event_type, aggregate, aggregate_id, body)
