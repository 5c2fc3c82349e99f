"""Identities for each role, and the internal-token header a service expects from the gateway."""

from __future__ import annotations

import uuid

from shared.auth import IDENTITY_HEADER, Identity, Role, mint_internal_token
from shared.settings import DEVELOPMENT_INTERNAL_SECRET

TEST_SECRET = DEVELOPMENT_INTERNAL_SECRET


def identity(role: Role, **scopes: object) -> Identity:
    """An identity with one role; scopes (community_ids=..., enterprise_id=...) as given."""
    return Identity.model_validate({"subject": f"test-{role}-{uuid.uuid4().hex[:8]}", "roles": [role], **scopes})


def admin() -> Identity:
    return identity(Role.platform_admin)


def staff(*community_ids: uuid.UUID) -> Identity:
    return identity(Role.community_staff, community_ids=list(community_ids))


def enterprise_rep(enterprise_id: uuid.UUID) -> Identity:
    return identity(Role.enterprise_rep, enterprise_id=enterprise_id)


def employee(enterprise_id: uuid.UUID) -> Identity:
    return identity(Role.employee, enterprise_id=enterprise_id)


def auth(who: Identity, secret: str = TEST_SECRET) -> dict[str, str]:
    """Headers carrying `who` as the gateway would forward it.

    An hour's lifetime: modules build headers at import, and a full run takes minutes.
    """
    return {IDENTITY_HEADER: mint_internal_token(who, secret, ttl_seconds=3600)}


def minimal_identity(role: Role) -> Identity:
    """Some identity holding `role` with random scopes, for role-refusal sweeps."""
    return identity(
        role,
        community_ids=[uuid.uuid4()],
        grid_ids=[uuid.uuid4()],
        enterprise_id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        partner_kind="bank",
        election_ids=[uuid.uuid4()],
    )
