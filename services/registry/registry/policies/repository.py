"""SQL of the policies domain. Matching is ONE statement per policy: an `INSERT ... SELECT` that
computes every enterprise's facts, tests every rule and writes the explanation, never a loop."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from typing import cast as typed

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    cast,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from registry.buildings.models import Building, BuildingJurisdiction
from registry.enterprises.models import Enterprise, EnterpriseStatusPeriod, Headcount, Occupancy
from registry.policies.models import Policy, PolicyAnswer, PolicyMatch
from registry.policies.states import ListField, RangeField
from shared.pagination import after_keyset
from shared.uow import Repository

UUIDS = ARRAY(UUID(as_uuid=True))
POLICY = typed(Table, Policy.__table__)
MATCH = typed(Table, PolicyMatch.__table__)
FIGURES = {RangeField.headcount: "employees", RangeField.graduates: "graduates"}
FIGURES[RangeField.high_level_talents] = "high_level_talents"


SitePart = Callable[[Any, Any, Any], Any]  # (occupancy, jurisdiction, building) -> a column or condition


def _sites(today: dt.date, condition: SitePart | None = None, aggregate: SitePart | None = None) -> Select[Any]:
    """Its sites today (correlated to the outer enterprise), joined to the building's community
    that day and to the building, where `condition` holds; `aggregate` is what to select."""
    occupancy, jurisdiction, building = aliased(Occupancy), aliased(BuildingJurisdiction), aliased(Building)
    parts = (occupancy, jurisdiction, building)
    query = (
        select(aggregate(*parts) if aggregate else literal(1))
        .select_from(occupancy)
        .join(jurisdiction, jurisdiction.building_id == occupancy.building_id)
        .join(building, building.id == occupancy.building_id)
        .where(
            occupancy.enterprise_id == Enterprise.id,
            occupancy.during.contains(today),
            jurisdiction.during.contains(today),
        )
    )
    return query.where(condition(*parts)) if condition else query


def _site_where(today: dt.date, condition: SitePart | None = None) -> ColumnElement[bool]:
    """It has a site today (for which `condition` holds)."""
    return _sites(today, condition=condition).exists()


def _site_array(today: dt.date, column: SitePart, type_: Any) -> ColumnElement[Any]:
    """The distinct values of `column` over its sites today, sorted, as an array."""

    def collect(*parts: Any) -> Any:
        value = column(*parts)
        return func.array_agg(aggregate_order_by(distinct(value), value), type_=type_)

    return _sites(today, aggregate=collect).scalar_subquery()


def _community(occupancy: Any, jurisdiction: Any, building: Any) -> Any:
    return jurisdiction.community_id


def _kind(occupancy: Any, jurisdiction: Any, building: Any) -> Any:
    return building.kind


def _in_communities(wanted: list[uuid.UUID]) -> SitePart:
    return lambda occupancy, jurisdiction, building: jurisdiction.community_id.in_(wanted)


def _of_kinds(wanted: list[str]) -> SitePart:
    return lambda occupancy, jurisdiction, building: building.kind.in_(wanted)


def matching_query(
    policy_id: uuid.UUID, community_id: uuid.UUID | None, rules: list[dict[str, Any]], today: dt.date
) -> Select[Any]:
    """`(policy_id, enterprise_id, community_ids, reasons)` of every enterprise active today with a
    site today (in the policy's community, for a community policy) for which every rule holds.
    The filters are EXISTS tests and index look-ups; the arrays for the explanation and the staff
    scope are computed in the select list, so only for the enterprises that match."""
    fields = {rule["field"] for rule in rules}
    statement_from: Any = select(Enterprise.id)
    latest = None
    if fields & set(FIGURES):
        latest = (
            select(Headcount.employees, Headcount.graduates, Headcount.high_level_talents)
            .where(Headcount.enterprise_id == Enterprise.id, Headcount.as_of <= today)
            .order_by(Headcount.as_of.desc())
            .limit(1)
            .lateral("latest")
        )
    founded = (
        select(func.min(func.lower(EnterpriseStatusPeriod.during)))
        .where(EnterpriseStatusPeriod.enterprise_id == Enterprise.id)
        .scalar_subquery()
    )
    years = cast(func.date_part("year", func.age(today, founded)), Integer)
    community_ids = _site_array(today, _community, UUIDS)
    kinds = _site_array(today, _kind, ARRAY(String))

    conditions: list[ColumnElement[bool]] = [
        exists().where(
            EnterpriseStatusPeriod.enterprise_id == Enterprise.id,
            EnterpriseStatusPeriod.status == "active",
            EnterpriseStatusPeriod.during.contains(today),
        ),
        _site_where(today, None if community_id is None else _in_communities([community_id])),
    ]
    reasons: list[Any] = []
    for index, rule in enumerate(rules):
        field = rule["field"]
        fact: Any
        if field == ListField.community:
            wanted = [uuid.UUID(str(c)) for c in rule["any_of"]]
            fact = community_ids
            conditions.append(_site_where(today, _in_communities(wanted)))
        elif field == ListField.industry_section:
            fact = Enterprise.industry_section
            conditions.append(fact.in_(rule["any_of"]))
        elif field == ListField.industry_code:
            fact = Enterprise.industry_code
            conditions.append(or_(*(fact.startswith(code, autoescape=True) for code in rule["any_of"])))
        elif field == ListField.building_kind:
            wanted_kinds = list(rule["any_of"])
            fact = kinds
            conditions.append(_site_where(today, _of_kinds(wanted_kinds)))
        else:
            fact = years if field == RangeField.years_since_founding else latest.c[FIGURES[field]]  # type: ignore[union-attr]
            if rule.get("min") is not None:
                conditions.append(fact >= rule["min"])
            if rule.get("max") is not None:
                conditions.append(fact <= rule["max"])
        reasons.append(func.jsonb_build_object("rule", index, "field", str(field), "value", fact))
    if latest is not None:
        statement_from = statement_from.join(latest, true())
    query: Select[Any] = statement_from.with_only_columns(
        literal(policy_id, UUID(as_uuid=True)).label("policy_id"),
        Enterprise.id.label("enterprise_id"),
        community_ids.label("community_ids"),
        func.jsonb_build_array(*reasons, type_=JSONB).label("reasons"),
    ).where(*conditions)
    return query


def visible(staff_communities: list[uuid.UUID] | None) -> list[ColumnElement[bool]]:
    """Matches a caller may see: all (None), or those of enterprises in these communities."""
    if staff_communities is None:
        return []
    return [PolicyMatch.community_ids.overlap(literal(staff_communities, UUIDS))]


class PolicyRepository(Repository):
    async def add(self, policy: Policy) -> Policy:
        self.session.add(policy)
        await self.session.flush()
        return policy

    async def get(self, policy_id: uuid.UUID, *, for_update: bool = False) -> Policy | None:
        statement = select(Policy).where(Policy.id == policy_id)
        if for_update:  # two matchings of one policy queue, so each offer is told once
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def match(self, policy: Policy, today: dt.date) -> list[uuid.UUID]:
        """Offer the policy to every enterprise that matches today (one statement); the new ids."""
        query = matching_query(policy.id, policy.community_id, policy.rules, today)
        statement = (
            pg_insert(PolicyMatch)
            .from_select(["policy_id", "enterprise_id", "community_ids", "reasons"], query)
            .on_conflict_do_nothing()
            .returning(PolicyMatch.enterprise_id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def match_counts(self, policy_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not policy_ids:
            return {}
        rows = await self.session.execute(
            select(PolicyMatch.policy_id, func.count())
            .where(PolicyMatch.policy_id.in_(policy_ids))
            .group_by(PolicyMatch.policy_id)
        )
        return {row[0]: row[1] for row in rows}

    async def page(
        self, *, community_id: uuid.UUID | None, district: bool | None, after: tuple[Any, ...] | None, limit: int
    ) -> list[Policy]:
        """Newest first by (created_at, id)."""
        statement = select(Policy)
        if community_id is not None:
            statement = statement.where(Policy.community_id == community_id)
        if district is not None:
            statement = statement.where(Policy.community_id.is_(None) if district else Policy.community_id.is_not(None))
        if after is not None:
            statement = statement.where(after_keyset([POLICY.c.created_at, POLICY.c.id], after, [True, True]))
        statement = statement.order_by(Policy.created_at.desc(), Policy.id.desc()).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def matches(
        self,
        policy_id: uuid.UUID,
        staff_communities: list[uuid.UUID] | None,
        answer: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Any]:
        """Matches by enterprise id, with the enterprise's name and the answer (if any)."""
        statement = (
            select(
                PolicyMatch.enterprise_id,
                Enterprise.uscc,
                Enterprise.name,
                PolicyMatch.reasons,
                PolicyMatch.matched_at,
                PolicyAnswer.answer,
                PolicyAnswer.answered_at,
            )
            .join(Enterprise, Enterprise.id == PolicyMatch.enterprise_id)
            .outerjoin(
                PolicyAnswer,
                (PolicyAnswer.policy_id == PolicyMatch.policy_id)
                & (PolicyAnswer.enterprise_id == PolicyMatch.enterprise_id),
            )
            .where(PolicyMatch.policy_id == policy_id, *visible(staff_communities))
        )
        if answer == "unanswered":
            statement = statement.where(PolicyAnswer.answer.is_(None))
        elif answer is not None:
            statement = statement.where(PolicyAnswer.answer == answer)
        if after is not None:
            statement = statement.where(PolicyMatch.enterprise_id > after)
        statement = statement.order_by(PolicyMatch.enterprise_id).limit(limit)
        return list((await self.session.execute(statement)).all())

    async def take_up(self, policy_id: uuid.UUID, staff_communities: list[uuid.UUID] | None) -> tuple[int, int, int]:
        """(matched, applied, not relevant) among the matches the caller may see."""
        statement = (
            select(
                func.count(),
                func.count().filter(PolicyAnswer.answer == "applied"),
                func.count().filter(PolicyAnswer.answer == "not_relevant"),
            )
            .select_from(PolicyMatch)
            .outerjoin(
                PolicyAnswer,
                (PolicyAnswer.policy_id == PolicyMatch.policy_id)
                & (PolicyAnswer.enterprise_id == PolicyMatch.enterprise_id),
            )
            .where(PolicyMatch.policy_id == policy_id, *visible(staff_communities))
        )
        matched, applied, not_relevant = (await self.session.execute(statement)).one()
        return int(matched), int(applied), int(not_relevant)

    async def offers(self, enterprise_id: uuid.UUID, after: tuple[Any, ...] | None, limit: int) -> list[Any]:
        """An enterprise's offers, newest first by (matched_at, policy_id)."""
        statement = (
            select(Policy, PolicyMatch.reasons, PolicyMatch.matched_at, PolicyAnswer.answer, PolicyAnswer.answered_at)
            .join(PolicyMatch, PolicyMatch.policy_id == Policy.id)
            .outerjoin(
                PolicyAnswer,
                (PolicyAnswer.policy_id == PolicyMatch.policy_id)
                & (PolicyAnswer.enterprise_id == PolicyMatch.enterprise_id),
            )
            .where(PolicyMatch.enterprise_id == enterprise_id)
        )
        if after is not None:
            statement = statement.where(after_keyset([MATCH.c.matched_at, MATCH.c.policy_id], after, [True, True]))
        statement = statement.order_by(PolicyMatch.matched_at.desc(), PolicyMatch.policy_id.desc()).limit(limit)
        return list((await self.session.execute(statement)).all())

    async def is_offered(self, policy_id: uuid.UUID, enterprise_id: uuid.UUID) -> bool:
        statement = select(
            exists().where(PolicyMatch.policy_id == policy_id, PolicyMatch.enterprise_id == enterprise_id)
        )
        return bool(await self.session.scalar(statement))

    async def answer(self, policy_id: uuid.UUID, enterprise_id: uuid.UUID, answer: str, subject: str) -> bool:
        """Record the answer unless one exists (the primary key decides a race); True when written."""
        statement = (
            pg_insert(PolicyAnswer)
            .values(policy_id=policy_id, enterprise_id=enterprise_id, answer=answer, answered_by=subject)
            .on_conflict_do_nothing(index_elements=["policy_id", "enterprise_id"])
            .returning(PolicyAnswer.answer)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def existing_answer(self, policy_id: uuid.UUID, enterprise_id: uuid.UUID) -> PolicyAnswer | None:
        return await self.session.get(PolicyAnswer, (policy_id, enterprise_id))
