"""The role lists of the deliberation routes (each route names one of them, or a narrower one)."""

from __future__ import annotations

from shared.auth import Role

STAFF = (Role.platform_admin, Role.community_staff)
# every member of a community reads its public parts: proposals, meetings and decisions, results, actions
MEMBERS = (Role.platform_admin, Role.community_staff, Role.enterprise_rep, Role.employee)
PEOPLE = (Role.enterprise_rep, Role.employee)
