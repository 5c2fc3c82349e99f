"""Typed dependencies of the catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service_requests.catalogue.repository import ServiceTypeRepository
from shared.db import SessionDep


async def service_type_repository(session: SessionDep) -> ServiceTypeRepository:
    return ServiceTypeRepository(session)


ServiceTypeRepositoryDep = Annotated[ServiceTypeRepository, Depends(service_type_repository)]
