"""Typed dependencies of requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service_requests.requests.repository import RequestRepository
from shared.db import SessionDep
from shared.express import ExpressCall, provide


async def request_repository(session: SessionDep) -> RequestRepository:
    return RequestRepository(session)


async def _express_repository(call: ExpressCall) -> RequestRepository:
    return RequestRepository(call.session())


RequestRepositoryDep = Annotated[RequestRepository, Depends(request_repository)]
provide(request_repository, _express_repository)  # the submission route is an express route
