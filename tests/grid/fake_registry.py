"""An in-memory registry that speaks the registry's contract, for grid tests until the real one lands.

Only the endpoints the grid service calls; state lives in the object so tests can shape it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Query


@dataclass
class Period:
    community_id: uuid.UUID
    valid_from: dt.date
    valid_to: dt.date | None = None


@dataclass
class FakeBuilding:
    id: uuid.UUID
    name: str
    lat: float | None
    lon: float | None
    floors: int
    periods: list[Period]
    employees: int = 0
    enterprises: int = 0

    def community_on(self, day: dt.date) -> uuid.UUID | None:
        for period in self.periods:
            if period.valid_from <= day and (period.valid_to is None or day < period.valid_to):
                return period.community_id
        return None


@dataclass
class FakeRegistry:
    communities: dict[uuid.UUID, str] = field(default_factory=dict)
    buildings: dict[uuid.UUID, FakeBuilding] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    feed_reads: list[int] = field(default_factory=list)

    def reset(self) -> None:
        self.communities.clear()
        self.buildings.clear()
        self.events.clear()
        self.feed_reads.clear()
        self.calls = 0

    def community(self, code: str) -> uuid.UUID:
        community_id = uuid.uuid4()
        self.communities[community_id] = code
        return community_id

    def building(
        self,
        community_id: uuid.UUID,
        name: str = "Tower",
        *,
        since: dt.date = dt.date(2020, 1, 1),
        lat: float | None = None,
        lon: float | None = None,
        floors: int = 30,
        employees: int = 0,
        enterprises: int = 0,
    ) -> uuid.UUID:
        building_id = uuid.uuid4()
        self.buildings[building_id] = FakeBuilding(
            building_id, name, lat, lon, floors, [Period(community_id, since)], employees, enterprises
        )
        return building_id

    def transfer(self, building_id: uuid.UUID, to_community: uuid.UUID, effective_on: dt.date) -> None:
        building = self.buildings[building_id]
        current = building.periods[-1]
        current.valid_to = effective_on
        building.periods.append(Period(to_community, effective_on))
        self.events.append(
            {
                "seq": len(self.events) + 1,
                "event_id": str(uuid.uuid4()),
                "type": "BuildingTransferred",
                "aggregate_type": "building",
                "aggregate_id": str(building_id),
                "occurred_at": "2026-01-01T00:00:00Z",
                "payload": {
                    "building_id": str(building_id),
                    "from_community_id": str(current.community_id),
                    "to_community_id": str(to_community),
                    "effective_on": effective_on.isoformat(),
                    "reason": "test",
                },
            }
        )

    def add_other_event(self) -> None:
        self.events.append(
            {
                "seq": len(self.events) + 1,
                "event_id": str(uuid.uuid4()),
                "type": "EnterpriseRegistered",
                "aggregate_type": "enterprise",
                "aggregate_id": str(uuid.uuid4()),
                "occurred_at": "2026-01-01T00:00:00Z",
                "payload": {"enterprise_id": str(uuid.uuid4()), "uscc": "91330108MA2XXXXXX1", "name": "X"},
            }
        )

    def _building_body(self, building: FakeBuilding) -> dict[str, Any]:
        location = None if building.lat is None else {"lat": building.lat, "lon": building.lon}
        today = dt.date.today()  # noqa: DTZ011 - a fake; the real registry uses the business calendar
        community = building.community_on(today)
        return {
            "id": str(building.id),
            "name": building.name,
            "kind": "office_tower",
            "address": "",
            "location": location,
            "floors": building.floors,
            "community_id": str(community) if community else None,
            "version": 1,
        }

    def app(self) -> FastAPI:
        app = FastAPI()

        def identify(header: str | None) -> None:
            self.calls += 1
            if not header:
                raise HTTPException(401)

        @app.get("/v1/communities/{community_id}")
        async def community(community_id: uuid.UUID, x_platform_identity: str | None = Header(None)) -> dict[str, Any]:
            identify(x_platform_identity)
            if community_id not in self.communities:
                raise HTTPException(404)
            code = self.communities[community_id]
            return {"id": str(community_id), "code": code, "name_zh": code, "name_en": code, "type": "x"}

        @app.get("/v1/buildings/{building_id}")
        async def building(building_id: uuid.UUID, x_platform_identity: str | None = Header(None)) -> dict[str, Any]:
            identify(x_platform_identity)
            if building_id not in self.buildings:
                raise HTTPException(404)
            return self._building_body(self.buildings[building_id])

        @app.get("/v1/buildings/{building_id}/jurisdiction")
        async def jurisdiction(
            building_id: uuid.UUID, x_platform_identity: str | None = Header(None)
        ) -> dict[str, Any]:
            identify(x_platform_identity)
            if building_id not in self.buildings:
                raise HTTPException(404)
            items = [
                {
                    "community_id": str(p.community_id),
                    "valid_from": p.valid_from.isoformat(),
                    "valid_to": p.valid_to.isoformat() if p.valid_to else None,
                }
                for p in self.buildings[building_id].periods
            ]
            return {"items": items}

        @app.get("/v1/communities/{community_id}/buildings")
        async def community_buildings(
            community_id: uuid.UUID,
            as_of: dt.date,
            limit: int = Query(20, le=100),
            cursor: str | None = None,
            x_platform_identity: str | None = Header(None),
        ) -> dict[str, Any]:
            identify(x_platform_identity)
            inside = sorted(
                (b for b in self.buildings.values() if b.community_on(as_of) == community_id), key=lambda b: str(b.id)
            )
            start = int(cursor) if cursor else 0
            page = inside[start : start + limit]
            body: dict[str, Any] = {"items": [self._building_body(b) for b in page]}
            if start + limit < len(inside):
                body["next_cursor"] = str(start + limit)
            return body

        @app.get("/internal/communities/{community_id}/headcounts")
        async def headcounts(
            community_id: uuid.UUID, as_of: dt.date, x_platform_identity: str | None = Header(None)
        ) -> dict[str, Any]:
            identify(x_platform_identity)
            items = [
                {"building_id": str(b.id), "enterprises": b.enterprises, "employees": b.employees}
                for b in self.buildings.values()
                if b.community_on(as_of) == community_id
            ]
            return {"items": items}

        @app.get("/internal/events")
        async def events(
            after: int = 0, limit: int = 100, x_platform_identity: str | None = Header(None)
        ) -> dict[str, Any]:
            identify(x_platform_identity)
            self.feed_reads.append(after)
            items = [event for event in self.events if event["seq"] > after][:limit]
            return {"items": items, "last_seq": items[-1]["seq"] if items else after}

        return app
