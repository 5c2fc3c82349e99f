"""Scope checks every service shares: who may act for a community.

A platform admin may act everywhere; community staff only in the communities of their token.
"""

from __future__ import annotations

import uuid

from shared.auth import Identity, Role
from shared.errors import Forbidden
from shared.i18n import Text

NOT_YOUR_COMMUNITY = Text("只能管理本社区的数据", "You may act only in your own community")


def is_staff(identity: Identity, community_id: uuid.UUID | None) -> bool:
    """Platform admins, or staff of this community (no community: platform admins only)."""
    if community_id is None:
        return Role.platform_admin in identity.roles
    return identity.staff_of(community_id)


def require_staff(identity: Identity, community_id: uuid.UUID | None) -> None:
    """Platform admins, or staff of this community; 403 FORBIDDEN otherwise."""
    if not is_staff(identity, community_id):
        raise Forbidden(NOT_YOUR_COMMUNITY)
