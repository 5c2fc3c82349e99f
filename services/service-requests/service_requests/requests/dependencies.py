"""Typed dependencies of requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service_requests.requests.repository import RequestRepository
from shared.db import SessionDep


async def request_repository(session: SessionDep) -> RequestRepository:
    return RequestRepository(session)


RequestRepositoryDep = Annotated[RequestRepository, Depends(request_repository)]
