"""SQL of the policies domain. Matching is ONE statement per policy: an `INSERT ... SELECT` that
computes every enterprise's facts, tests every rule and writes the explanation, never a loop."""

from __future__ import annotations

import datetime as dt
import uuid
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.expression import FromClause

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


def _places(today: dt.date) -> FromClause:
    """Per enterprise: the communities and building kinds of its sites today."""
    return (
        select(
            Occupancy.enterprise_id.label("enterprise_id"),
            func.array_agg(distinct(BuildingJurisdiction.community_id), type_=UUIDS).label("community_ids"),
            func.array_agg(distinct(Building.kind), type_=ARRAY(String)).label("kinds"),
        )
        .join(BuildingJurisdiction, BuildingJurisdiction.building_id == Occupancy.building_id)
        .join(Building, Building.id == Occupancy.building_id)
        .where(Occupancy.during.contains(today), BuildingJurisdiction.during.contains(today))
        .group_by(Occupancy.enterprise_id)
        .subquery("places")
    )


def matching_query(
    policy_id: uuid.UUID, community_id: uuid.UUID | None, rules: list[dict[str, Any]], today: dt.date
) -> Select[Any]:
    """`(policy_id, enterprise_id, community_ids, reasons)` of every enterprise active today with a
    site today (in the policy's community, for a community policy) for which every rule holds."""
    places = _places(today)
    fields = {rule["field"] for rule in rules}
    statement_from: Any = select(Enterprise.id).join(places, places.c.enterprise_id == Enterprise.id)
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

    conditions: list[ColumnElement[bool]] = [
        exists().where(
            EnterpriseStatusPeriod.enterprise_id == Enterprise.id,
            EnterpriseStatusPeriod.status == "active",
            EnterpriseStatusPeriod.during.contains(today),
        )
    ]
    if community_id is not None:
        conditions.append(places.c.community_ids.contains(literal([community_id], UUIDS)))
    reasons: list[Any] = []
    for index, rule in enumerate(rules):
        field = rule["field"]
        fact: Any
        if field == ListField.community:
            fact = places.c.community_ids
            conditions.append(fact.overlap(literal([uuid.UUID(str(c)) for c in rule["any_of"]], UUIDS)))
        elif field == ListField.industry_section:
            fact = Enterprise.industry_section
            conditions.append(fact.in_(rule["any_of"]))
        elif field == ListField.industry_code:
            fact = Enterprise.industry_code
            conditions.append(or_(*(fact.startswith(code, autoescape=True) for code in rule["any_of"])))
        elif field == ListField.building_kind:
            fact = places.c.kinds
            conditions.append(fact.overlap(literal(list(rule["any_of"]), ARRAY(String))))
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
        places.c.community_ids,
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

    async def get(self, policy_id: uuid.UUID) -> Policy | None:
        return await self.session.get(Policy, policy_id)

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
