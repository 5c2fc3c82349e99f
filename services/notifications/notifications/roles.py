"""Role lists of the notifications routes."""

from __future__ import annotations

from shared.auth import PERSON_ROLES, Role

# Every person: each sees and marks only their own notifications (by token subject).
PEOPLE = PERSON_ROLES
OPERATORS = (Role.platform_admin,)
