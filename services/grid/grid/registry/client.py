"""Calls to the registry over HTTP with the grid service's identity (low rate; httpx)."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from grid.registry.exceptions import RegistryBuildingNotFound, RegistryCommunityNotFound, RegistryUnavailable
from grid.registry.schemas import Building, BuildingCounts, Community, Headcount, JurisdictionPeriod, Occupancy
from grid.settings import Settings
from shared.clients import service_client, service_headers
from shared.i18n import Text

SERVICE_NAME = "grid"


class RegistryClient:
    """The registry's read endpoints; one instance (and one httpx client) per process."""

    def __init__(self, client: httpx.AsyncClient, secret: str) -> None:
        self.http = client
        self._secret = secret

    async def _get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        try:
            response = await self.http.get(path, params=params, headers=service_headers(SERVICE_NAME, self._secret))
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(Text("无法连接登记服务", "Cannot reach the registry")) from exc
        if response.status_code >= 500 or response.status_code in (401, 403):
            raise RegistryUnavailable(
                Text("登记服务返回错误", f"The registry answered {response.status_code}"),
            )
        return response

    async def community(self, community_id: uuid.UUID) -> Community:
        response = await self._get(f"/v1/communities/{community_id}")
        if response.status_code == 404:
            raise RegistryCommunityNotFound(Text("登记服务中没有此社区", "The registry has no such community"))
        return Community.model_validate(response.json())

    async def building(self, building_id: uuid.UUID) -> Building:
        response = await self._get(f"/v1/buildings/{building_id}")
        if response.status_code == 404:
            raise RegistryBuildingNotFound(Text("登记服务中没有此楼宇", "The registry has no such building"))
        return Building.model_validate(response.json())

    async def jurisdiction(self, building_id: uuid.UUID) -> list[JurisdictionPeriod]:
        """The dated list of communities the building has belonged to."""
        response = await self._get(f"/v1/buildings/{building_id}/jurisdiction")
        if response.status_code == 404:
            raise RegistryBuildingNotFound(Text("登记服务中没有此楼宇", "The registry has no such building"))
        return [JurisdictionPeriod.model_validate(item) for item in response.json()["items"]]

    async def enterprise_buildings(self, enterprise_id: uuid.UUID, day: dt.date) -> set[uuid.UUID]:
        """The buildings where the enterprise has a site on `day` (none for an unknown enterprise)."""
        response = await self._get(f"/v1/enterprises/{enterprise_id}/occupancies")
        if response.status_code == 404:
            return set()
        sites = [Occupancy.model_validate(item) for item in response.json()["items"]]
        return {site.building_id for site in sites if site.on(day)}

    async def community_buildings(self, community_id: uuid.UUID, as_of: dt.date) -> list[Building]:
        """Every building of the community on `as_of` (follows the pages)."""
        buildings: list[Building] = []
        params: dict[str, str] = {"as_of": as_of.isoformat(), "limit": "100"}
        while True:
            response = await self._get(f"/v1/communities/{community_id}/buildings", params)
            if response.status_code == 404:
                raise RegistryCommunityNotFound(Text("登记服务中没有此社区", "The registry has no such community"))
            body: dict[str, Any] = response.json()
            buildings.extend(Building.model_validate(item) for item in body["items"])
            cursor = body.get("next_cursor")
            if not cursor:
                return buildings
            params = {**params, "cursor": str(cursor)}

    async def building_counts(self, community_id: uuid.UUID, first: dt.date, last: dt.date) -> dict[dt.date, int]:
        """The community's number of buildings on each day from `first` to `last`, in one call (at most
        366 days, the registry's bound and the longest campaign)."""
        params = {"starts_on": first.isoformat(), "ends_on": last.isoformat()}
        response = await self._get(f"/internal/communities/{community_id}/building-counts", params)
        if response.status_code == 404:
            raise RegistryCommunityNotFound(Text("登记服务中没有此社区", "The registry has no such community"))
        counts = BuildingCounts.model_validate(response.json())
        return {item.day: item.buildings for item in counts.items}

    async def headcounts(self, community_id: uuid.UUID, as_of: dt.date) -> dict[uuid.UUID, Headcount]:
        """Active enterprises and employees per building of the community on `as_of`."""
        response = await self._get(f"/internal/communities/{community_id}/headcounts", {"as_of": as_of.isoformat()})
        if response.status_code == 404:
            raise RegistryCommunityNotFound(Text("登记服务中没有此社区", "The registry has no such community"))
        items = [Headcount.model_validate(item) for item in response.json()["items"]]
        return {item.building_id: item for item in items}


def registry_client(
    app: FastAPI, transport: httpx.AsyncBaseTransport | None = None
) -> contextlib.AbstractAsyncContextManager[None]:
    """The app resource: `app.state.registry` (routes through `RegistryDep`, the feed), open for the
    app's lifetime (`transport` puts the registry app in-process in tests)."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        timeout = settings.registry_timeout_seconds
        async with service_client(settings.registry_url, timeout, transport=transport) as http:
            app.state.registry = RegistryClient(http, settings.internal_token_secret.get_secret_value())
            yield

    return opened()
