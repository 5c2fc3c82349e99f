"""Grid scope checks: grid workers act in their grids (staff checks are in shared.scope)."""

from __future__ import annotations

import uuid

from shared.auth import Identity, Role
from shared.errors import Forbidden
from shared.i18n import Text
from shared.scope import require_staff


def in_grid(identity: Identity, community_id: uuid.UUID, grid_id: uuid.UUID, parent_id: uuid.UUID | None) -> bool:
    """Staff of the grid's community, or a grid worker of the grid (or of its parent grid)."""
    if identity.staff_of(community_id):
        return True
    if Role.grid_worker in identity.roles:
        return grid_id in identity.grid_ids or (parent_id is not None and parent_id in identity.grid_ids)
    return False


def require_grid(identity: Identity, community_id: uuid.UUID, grid_id: uuid.UUID, parent_id: uuid.UUID | None) -> None:
    if not in_grid(identity, community_id, grid_id, parent_id):
        raise Forbidden(Text("只能在自己负责的网格内操作", "You may act only in your own grids"))


def visible_grids(identity: Identity, community_id: uuid.UUID) -> frozenset[uuid.UUID] | None:
    """What a community-wide list shows this caller: None for the community's staff (everything),
    a grid worker's own grids, and 403 for anyone else."""
    if identity.staff_of(community_id):
        return None
    if Role.grid_worker not in identity.roles:
        require_staff(identity, community_id)
    return identity.grid_ids
