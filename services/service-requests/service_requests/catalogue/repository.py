"""SQL for service types."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from service_requests.catalogue.models import CommunityBrands, ServiceType
from shared.pagination import after_keyset
from shared.uow import Repository

TYPE = cast(Table, ServiceType.__table__)


class ServiceTypeRepository(Repository):
    async def get(self, type_id: uuid.UUID, *, for_update: bool = False) -> ServiceType | None:
        statement = select(ServiceType).where(ServiceType.id == type_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def add(self, service_type: ServiceType) -> ServiceType:
        self.session.add(service_type)
        await self.session.flush()
        return service_type

    async def lock_seeding(self) -> None:
        """Queue seeders behind each other until the transaction ends (parallel `make seed` inserts once)."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('service-requests:seed'))"))

    async def codes(self, community_id: uuid.UUID) -> set[str]:
        """The codes a community's catalogue already holds."""
        statement = select(ServiceType.code).where(ServiceType.community_id == community_id)
        return set((await self.session.execute(statement)).scalars())

    async def page(
        self,
        *,
        community_id: uuid.UUID | None,
        category: str | None,
        scenario: str | None,
        active: bool | None,
        after: Sequence[Any] | None,
        limit: int,
    ) -> list[ServiceType]:
        statement = select(ServiceType)
        if community_id is not None:
            statement = statement.where(ServiceType.community_id == community_id)
        if category is not None:
            statement = statement.where(ServiceType.category == category)
        if scenario is not None:
            statement = statement.where(ServiceType.scenario == scenario)
        if active is not None:
            statement = statement.where(ServiceType.active.is_(active))
        if after is not None:
            statement = statement.where(after_keyset([TYPE.c.code, TYPE.c.id], after, [False, False]))
        statement = statement.order_by(ServiceType.code, ServiceType.id).limit(limit)
        return list((await self.session.execute(statement)).scalars())


class BrandRepository(Repository):
    async def get(self, community_id: uuid.UUID) -> CommunityBrands | None:
        return await self.session.get(CommunityBrands, community_id)

    async def names_of(self, community_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        """The stored names of these communities (those without any are absent)."""
        if not community_ids:
            return {}
        statement = select(CommunityBrands.community_id, CommunityBrands.names).where(
            CommunityBrands.community_id.in_(set(community_ids))
        )
        return {row.community_id: row.names for row in await self.session.execute(statement)}

    async def create(self, community_id: uuid.UUID, names: dict[str, Any], subject: str) -> CommunityBrands | None:
        """Set a community's first names; None when it has some (the primary key decides a race)."""
        statement = (
            insert(CommunityBrands)
            .values(community_id=community_id, names=names, version=1, updated_by=subject)
            .on_conflict_do_nothing(index_elements=["community_id"])
            .returning(CommunityBrands)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def replace(
        self, community_id: uuid.UUID, names: dict[str, Any], subject: str, expected_version: int
    ) -> CommunityBrands | None:
        """Compare-and-set on the version; None when stale."""
        statement = (
            update(CommunityBrands)
            .where(CommunityBrands.community_id == community_id, CommunityBrands.version == expected_version)
            .values(names=names, version=CommunityBrands.version + 1, updated_by=subject, updated_at=func.now())
            .returning(CommunityBrands)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()
