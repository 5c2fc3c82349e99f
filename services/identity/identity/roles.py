"""Role lists of the identity routes."""

from __future__ import annotations

from shared.auth import Role

# Everyone who signs in as a person, grants or none: every token the identity service issues
# carries `account` (partners use API keys and have no account).
ACCOUNT_ROLES = (Role.account,)
ADMIN = (Role.platform_admin,)
