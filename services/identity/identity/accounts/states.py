"""Account statuses, grantable roles and grant sources, defined once (models, schemas, services)."""

from __future__ import annotations

from typing import Literal

ACCOUNT_STATUSES = ("active", "disabled")
AccountStatus = Literal["active", "disabled"]

# Roles an account may hold (`partner` and `service` are never granted to a person).
GRANTABLE_ROLES = (
    "platform_admin",
    "community_staff",
    "grid_worker",
    "enterprise_rep",
    "employee",
    "election_observer",
)
GrantableRole = Literal[
    "platform_admin", "community_staff", "grid_worker", "enterprise_rep", "employee", "election_observer"
]
GRANT_SOURCES = ("api", "invitation", "join_request", "registry")


def sql_in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)
