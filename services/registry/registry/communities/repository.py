"""SQL of the communities domain, including the dated roll, headcounts and statistics."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import exists, select, text

from registry.buildings.models import BuildingJurisdiction
from registry.common import after_row
from registry.communities.models import Community
from registry.communities.schemas import BuildingHeadcount, CommunityStats, RollEntry
from shared.uow import Repository

# The read behind most pages, as one autocommitted statement that returns the document as JSON:
# no ORM identity map, no BEGIN/COMMIT round trips (the session path cost 0.75 ms of CPU a read).
_DOCUMENT = """
SELECT row_to_json(c)::text FROM (
    SELECT id, code, name_zh, name_en, type, street, area_km2, boundary, established_on, generation,
        governance_bodies, version, created_at, updated_at
    FROM registry.community WHERE id = $1
) AS c
"""


# The number of buildings of a community on each day of a range, in one statement (the grid's
# campaign summary once asked for every day separately).
_BUILDING_COUNTS = """
    SELECT day::date AS day, count(j.building_id) AS buildings
    FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS day
    LEFT JOIN registry.building_jurisdiction j
        ON j.community_id = :community_id AND j.during @> day::date
    GROUP BY day ORDER BY day
"""


# Enterprises counted on a date: active that day and occupying a site in one of the
# community's buildings that day. Shared by the roll, the headcounts and the statistics.
_ON_DATE = """
    buildings AS (
        SELECT j.building_id FROM registry.building_jurisdiction j
        WHERE j.community_id = :community_id AND j.during @> CAST(:as_of AS date)
    ),
    active AS (
        SELECT s.enterprise_id FROM registry.enterprise_status_period s
        WHERE s.status = 'active' AND s.during @> CAST(:as_of AS date)
    ),
    sites AS (
        SELECT DISTINCT o.enterprise_id, o.building_id FROM registry.occupancy o
        JOIN active a ON a.enterprise_id = o.enterprise_id
        WHERE o.during @> CAST(:as_of AS date)
    ),
    site_count AS (
        SELECT enterprise_id, count(*) AS buildings FROM sites GROUP BY enterprise_id
    ),
    latest AS (
        SELECT DISTINCT ON (h.enterprise_id) h.enterprise_id, h.employees, h.average_age,
               h.graduates, h.high_level_talents
        FROM registry.headcount h JOIN site_count USING (enterprise_id)
        WHERE h.as_of <= CAST(:as_of AS date)
        ORDER BY h.enterprise_id, h.as_of DESC
    ),
    local_sites AS (
        SELECT s.enterprise_id, s.building_id,
               coalesce(l.employees, 0)::numeric / c.buildings AS employees_share,
               coalesce(l.graduates, 0)::numeric / c.buildings AS graduates_share,
               coalesce(l.high_level_talents, 0)::numeric / c.buildings AS talents_share,
               l.average_age
        FROM sites s
        JOIN buildings b ON b.building_id = s.building_id
        JOIN site_count c ON c.enterprise_id = s.enterprise_id
        LEFT JOIN latest l ON l.enterprise_id = s.enterprise_id
    )
"""


class CommunityRepository(Repository):
    """Communities, their dated roll, headcounts and statistics."""

    async def document(self, community_id: uuid.UUID) -> str | None:
        """The community as a JSON object of `CommunityOut`'s fields, or None: the hot path, one
        autocommitted statement on the raw pool (the session stays unopened)."""
        async with self.hot() as connection:
            found: str | None = await connection.fetchval(_DOCUMENT, community_id)
        return found

    async def building_counts(
        self, community_id: uuid.UUID, first: dt.date, last: dt.date
    ) -> list[tuple[dt.date, int]]:
        """How many buildings belonged to the community on each day from `first` to `last`."""
        rows = await self.session.execute(
            text(_BUILDING_COUNTS), {"community_id": community_id, "first": first, "last": last}
        )
        return [(row.day, int(row.buildings)) for row in rows]

    async def get(self, community_id: uuid.UUID) -> Community | None:
        return await self.session.get(Community, community_id)

    async def by_code(self, code: str) -> Community | None:
        return (await self.session.execute(select(Community).where(Community.code == code))).scalar_one_or_none()

    async def listing(
        self, *, type_: str | None, street: str | None, limit: int, after: tuple[str, uuid.UUID] | None
    ) -> list[Community]:
        statement = select(Community).order_by(Community.code, Community.id).limit(limit)
        if type_ is not None:
            statement = statement.where(Community.type == type_)
        if street is not None:
            statement = statement.where(Community.street == street)
        if after is not None:
            statement = statement.where(after_row((Community.code, Community.id), after))
        return list((await self.session.execute(statement)).scalars())

    async def add(self, community: Community) -> Community:
        self.session.add(community)
        await self.session.flush()
        return community

    async def delete(self, community: Community) -> None:
        await self.session.delete(community)
        await self.session.flush()

    async def has_buildings_ever(self, community_id: uuid.UUID) -> bool:
        statement = select(exists().where(BuildingJurisdiction.community_id == community_id))
        return bool(await self.session.scalar(statement))

    async def roll(self, community_id: uuid.UUID, as_of: dt.date) -> list[RollEntry]:
        """Active enterprises with a site in the community on `as_of`, one row per USCC, by USCC."""
        sql = text(f"""
            WITH {_ON_DATE}
            SELECT e.id AS enterprise_id, e.uscc, e.name,
                   CASE WHEN e.representative_valid_until IS NULL OR e.representative_valid_until >= :as_of
                        THEN e.representative_user_subject END AS representative_subject
            FROM registry.enterprise e
            WHERE e.id IN (SELECT enterprise_id FROM local_sites)
            ORDER BY e.uscc
        """)
        rows = await self.session.execute(sql, {"community_id": community_id, "as_of": as_of})
        return [RollEntry.model_validate(row._mapping) for row in rows]

    async def headcounts(self, community_id: uuid.UUID, as_of: dt.date) -> list[BuildingHeadcount]:
        """Per building of the community on `as_of`: active enterprises there and their employees."""
        sql = text(f"""
            WITH {_ON_DATE}
            SELECT b.building_id,
                   count(ls.enterprise_id) AS enterprises,
                   coalesce(round(sum(ls.employees_share)), 0)::bigint AS employees
            FROM buildings b LEFT JOIN local_sites ls ON ls.building_id = b.building_id
            GROUP BY b.building_id
            ORDER BY b.building_id
        """)
        rows = await self.session.execute(sql, {"community_id": community_id, "as_of": as_of})
        return [BuildingHeadcount.model_validate(row._mapping) for row in rows]

    async def stats(self, community_id: uuid.UUID, as_of: dt.date) -> CommunityStats:
        """Buildings by kind, active enterprises, employees, weighted average age, enterprises by section."""
        sql = text(f"""
            WITH {_ON_DATE},
            per_enterprise AS (
                SELECT enterprise_id, sum(employees_share) AS employees, max(average_age) AS average_age,
                       sum(graduates_share) AS graduates, sum(talents_share) AS talents
                FROM local_sites GROUP BY enterprise_id
            )
            SELECT
                (SELECT count(*) FROM buildings) AS buildings,
                (SELECT coalesce(jsonb_object_agg(kind, n), '{{}}'::jsonb) FROM (
                    SELECT bd.kind, count(*) AS n FROM buildings b
                    JOIN registry.building bd ON bd.id = b.building_id GROUP BY bd.kind) k) AS buildings_by_kind,
                (SELECT count(*) FROM per_enterprise) AS active_enterprises,
                (SELECT coalesce(round(sum(employees)), 0)::bigint FROM per_enterprise) AS employees,
                (SELECT coalesce(round(sum(graduates)), 0)::bigint FROM per_enterprise) AS graduates,
                (SELECT coalesce(round(sum(talents)), 0)::bigint FROM per_enterprise) AS high_level_talents,
                (SELECT round((sum(average_age * employees) / nullif(sum(employees)
                              FILTER (WHERE average_age IS NOT NULL), 0))::numeric, 1)::float8
                 FROM per_enterprise) AS average_age,
                (SELECT coalesce(jsonb_object_agg(industry_section, n), '{{}}'::jsonb) FROM (
                    SELECT e.industry_section, count(*) AS n FROM per_enterprise p
                    JOIN registry.enterprise e ON e.id = p.enterprise_id GROUP BY e.industry_section) s)
                    AS enterprises_by_industry_section
        """)
        row = (await self.session.execute(sql, {"community_id": community_id, "as_of": as_of})).one()
        return CommunityStats.model_validate({"community_id": community_id, "as_of": as_of, **row._mapping})
