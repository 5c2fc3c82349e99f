"""Load-and-check dependencies for grid paths."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from grid.grids.models import Grid
from grid.grids.service import load_grid
from shared.auth import CurrentIdentity
from shared.uow import UnitOfWorkDep


async def valid_grid(uow: UnitOfWorkDep, identity: CurrentIdentity, grid_id: Annotated[uuid.UUID, Path()]) -> Grid:
    """The grid in the path, visible to the caller (404 when absent, 403 outside their scope)."""
    return await load_grid(uow, identity, grid_id)


ValidGrid = Annotated[Grid, Depends(valid_grid)]
