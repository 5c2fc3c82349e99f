"""SQL for facilities, circle settings and the nearest-facility search (PostgreSQL earthdistance)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from grid.circles.models import CircleSetting, Facility
from shared.pagination import after_keyset
from shared.uow import Repository

# The `<->` order uses the GiST index on ll_to_earth (chord distance ranks like great-circle distance).
_NEAREST = text("""
SELECT b.id AS building_id, k.kind, n.id AS facility_id, n.name, n.distance
FROM unnest(CAST(:ids AS uuid[]), CAST(:lats AS float8[]), CAST(:lons AS float8[])) AS b(id, lat, lon)
CROSS JOIN unnest(CAST(:kinds AS text[])) AS k(kind)
LEFT JOIN LATERAL (
    SELECT f.id, f.name,
           earth_distance(ll_to_earth(b.lat, b.lon), ll_to_earth(f.lat, f.lon)) AS distance
    FROM grid.facility AS f
    WHERE f.kind = k.kind
    ORDER BY ll_to_earth(f.lat, f.lon) <-> ll_to_earth(b.lat, b.lon)
    LIMIT 1
) AS n ON true
""")


@dataclass(frozen=True, slots=True)
class Nearest:
    building_id: uuid.UUID
    kind: str
    facility_id: uuid.UUID | None
    name: str | None
    distance_m: float | None


class CircleRepository(Repository):
    async def add_facility(self, facility: Facility) -> Facility:
        self.session.add(facility)
        await self.session.flush()
        return facility

    async def facility(self, facility_id: uuid.UUID, *, for_update: bool = False) -> Facility | None:
        return await self.session.get(Facility, facility_id, with_for_update=for_update or None)

    async def facilities(
        self, community_id: uuid.UUID, kind: str | None, after: tuple[str, uuid.UUID] | None, limit: int
    ) -> Sequence[Facility]:
        statement = select(Facility).where(Facility.community_id == community_id)
        if kind is not None:
            statement = statement.where(Facility.kind == kind)
        if after is not None:
            statement = statement.where(
                after_keyset([Facility.name.expression, Facility.id.expression], list(after), [False, False])
            )
        return (await self.session.scalars(statement.order_by(Facility.name, Facility.id).limit(limit))).all()

    async def settings(self, community_id: uuid.UUID) -> Sequence[CircleSetting]:
        return (
            await self.session.scalars(select(CircleSetting).where(CircleSetting.community_id == community_id))
        ).all()

    async def save_setting(self, community_id: uuid.UUID, kind: str, minutes: int, speed: float, detour: float) -> None:
        values = {"minutes": minutes, "walking_speed_kmh": speed, "detour_factor": detour}
        await self.session.execute(
            insert(CircleSetting)
            .values(community_id=community_id, kind=kind, **values)
            .on_conflict_do_update(index_elements=[CircleSetting.community_id, CircleSetting.kind], set_=values)
        )

    async def nearest(self, buildings: Sequence[tuple[uuid.UUID, float, float]], kinds: Sequence[str]) -> list[Nearest]:
        """For each building and kind, the nearest facility anywhere and its great-circle distance."""
        if not buildings:
            return []
        rows = await self.session.execute(
            _NEAREST,
            {
                "ids": [b[0] for b in buildings],
                "lats": [b[1] for b in buildings],
                "lons": [b[2] for b in buildings],
                "kinds": list(kinds),
            },
        )
        return [Nearest(r.building_id, r.kind, r.facility_id, r.name, r.distance) for r in rows]

    async def earth_radius(self) -> float:
        return float((await self.session.execute(text("SELECT earth()"))).scalar_one())
