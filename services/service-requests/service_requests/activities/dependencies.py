"""Typed dependencies of activities."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service_requests.activities.repository import ActivityRepository
from shared.db import SessionDep


async def activity_repository(session: SessionDep) -> ActivityRepository:
    return ActivityRepository(session)


ActivityRepositoryDep = Annotated[ActivityRepository, Depends(activity_repository)]
