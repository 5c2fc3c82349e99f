"""Role lists of the identity routes."""

from __future__ import annotations

from shared.auth import Role

# Everyone who signs in as a person (partners use API keys and have no account).
ACCOUNT_ROLES = (
    Role.platform_admin,
    Role.community_staff,
    Role.grid_worker,
    Role.enterprise_rep,
    Role.employee,
    Role.election_observer,
)
ADMIN = (Role.platform_admin,)
