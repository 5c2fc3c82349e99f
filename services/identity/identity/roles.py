"""Role lists of the identity routes."""

from __future__ import annotations

from shared.auth import PERSON_ROLES, Role

# Everyone who signs in as a person, grants or none: every token the identity service issues
# carries `account` (partners use API keys and have no account).
ACCOUNT_ROLES = (Role.account,)
ADMIN = (Role.platform_admin,)
# The enterprise's representative (with the path's enterprise id as their token's `enterprise_id`).
REPRESENTATIVE = (Role.enterprise_rep,)
# Every person, whatever grants they hold: routes where the service decides (GRANT_NOT_ALLOWED).
PEOPLE = PERSON_ROLES
