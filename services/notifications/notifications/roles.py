"""Role lists of the notifications routes."""

from __future__ import annotations

from shared.auth import Role

# Every person: each sees and marks only their own notifications (by token subject).
PEOPLE = (
    Role.account,
    Role.platform_admin,
    Role.community_staff,
    Role.grid_worker,
    Role.enterprise_rep,
    Role.employee,
    Role.election_observer,
)
OPERATORS = (Role.platform_admin,)
