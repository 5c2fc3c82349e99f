"""Rules of the policies domain: who publishes where, matching at publication, who sees which
matches, the representative's one answer."""

from __future__ import annotations

import datetime as dt
import uuid

from registry.common import emit
from registry.communities.exceptions import CommunityNotFound
from registry.communities.repository import CommunityRepository
from registry.policies.exceptions import NotYourEnterprise, PolicyAlreadyAnswered, PolicyNotFound, PolicyNotOffered
from registry.policies.models import Policy
from registry.policies.repository import PolicyRepository
from registry.policies.schemas import (
    AnswerIn,
    AnswerOut,
    MatchingOut,
    MatchOut,
    OfferOut,
    PolicyCreate,
    PolicyOut,
    TakeUp,
)
from shared.auth import Identity, Role
from shared.dates import business_today
from shared.errors import Forbidden
from shared.i18n import Text
from shared.outbox import chunked
from shared.pagination import Page, encode_cursor
from shared.scope import require_staff
from shared.uow import UnitOfWork

DISTRICT_ONLY = Text("全区政策由平台管理员发布", "District-wide policies are published by platform admins")
NOT_YOUR_POLICY = Text("只能查看本社区政策的匹配结果", "You may see the matches of your own community's policies only")


def to_out(policy: Policy, matched: int) -> PolicyOut:
    return PolicyOut.model_validate(
        {
            "id": policy.id,
            "community_id": policy.community_id,
            "title": policy.title,
            "issuer": policy.issuer,
            "summary": policy.summary,
            "link": policy.link,
            "valid_from": policy.valid_from,
            "valid_to": policy.valid_to,
            "rules": policy.rules,
            "matched_on": policy.matched_on,
            "matched": matched,
            "version": policy.version,
            "created_at": policy.created_at,
        }
    )


async def publish(uow: UnitOfWork, identity: Identity, body: PolicyCreate) -> PolicyOut:
    """Store the policy and offer it, in the same transaction, to every enterprise it matches today."""
    if body.community_id is None and Role.platform_admin not in identity.roles:
        raise Forbidden(DISTRICT_ONLY)
    require_staff(identity, body.community_id)
    if body.community_id is not None and await uow.repository(CommunityRepository).get(body.community_id) is None:
        raise CommunityNotFound(errors=[{"detail": "no such community", "pointer": "/community_id"}])
    today = business_today()
    policy = await uow.repository(PolicyRepository).add(
        Policy(
            id=uuid.uuid4(),
            community_id=body.community_id,
            title=body.title,
            issuer=body.issuer,
            summary=body.summary,
            link=body.link,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            rules=[rule.model_dump(mode="json", exclude_none=True) for rule in body.rules],
            published_by=identity.subject,
            matched_on=today,
        )
    )
    offered = await _offer(uow, policy, today)
    return to_out(policy, len(offered))


async def _offer(uow: UnitOfWork, policy: Policy, today: dt.date) -> list[uuid.UUID]:
    """Match (one statement) and tell the feed whom the policy was newly offered to."""
    offered = sorted(await uow.repository(PolicyRepository).match(policy, today))
    for ids in chunked(offered) if offered else []:
        payload = {
            "policy_id": str(policy.id),
            "community_id": str(policy.community_id) if policy.community_id else None,
            "title": policy.title,
            "issuer": policy.issuer,
            "enterprise_ids": [str(enterprise_id) for enterprise_id in ids],
        }
        await emit(uow, "PolicyOffered", "policy", policy.id, payload)
    return offered


async def match_again(uow: UnitOfWork, identity: Identity, policy_id: uuid.UUID) -> MatchingOut:
    """Match against today's facts: enterprises that now fit are offered it; offers stand."""
    policy = await uow.repository(PolicyRepository).get(policy_id, for_update=True)
    if policy is None:
        raise PolicyNotFound()
    if policy.community_id is None and Role.platform_admin not in identity.roles:
        raise Forbidden(DISTRICT_ONLY)
    require_staff(identity, policy.community_id)
    today = business_today()
    offered = await _offer(uow, policy, today)
    policy.matched_on = today
    await uow.flush()
    counts = await uow.repository(PolicyRepository).match_counts([policy.id])
    return MatchingOut(
        policy_id=policy.id, newly_offered=len(offered), matched=counts.get(policy.id, 0), matched_on=today
    )


async def _policy(uow: UnitOfWork, policy_id: uuid.UUID) -> Policy:
    policy = await uow.repository(PolicyRepository).get(policy_id)
    if policy is None:
        raise PolicyNotFound()
    return policy


async def get(uow: UnitOfWork, policy_id: uuid.UUID) -> PolicyOut:
    policy = await _policy(uow, policy_id)
    counts = await uow.repository(PolicyRepository).match_counts([policy.id])
    return to_out(policy, counts.get(policy.id, 0))


async def list_policies(
    uow: UnitOfWork,
    *,
    community_id: uuid.UUID | None,
    district: bool | None,
    after: tuple[dt.datetime, uuid.UUID] | None,
    limit: int,
) -> Page[PolicyOut]:
    repository = uow.repository(PolicyRepository)
    rows = await repository.page(community_id=community_id, district=district, after=after, limit=limit + 1)
    items = rows[:limit]
    counts = await repository.match_counts([policy.id for policy in items])
    last = items[-1] if items else None
    next_cursor = encode_cursor([last.created_at.isoformat(), last.id]) if last and len(rows) > limit else None
    return Page(items=[to_out(policy, counts.get(policy.id, 0)) for policy in items], next_cursor=next_cursor)


def _scope(identity: Identity, policy: Policy) -> list[uuid.UUID] | None:
    """The communities whose matches the caller sees (None: all of them). Admins see all; staff
    see a community policy's matches if it is theirs, and a district policy's in their communities."""
    if Role.platform_admin in identity.roles:
        return None
    if policy.community_id is not None:
        if identity.staff_of(policy.community_id):
            return None
        raise Forbidden(NOT_YOUR_POLICY)
    return sorted(identity.community_ids) if Role.community_staff in identity.roles else []


async def matches(
    uow: UnitOfWork,
    identity: Identity,
    policy_id: uuid.UUID,
    *,
    answer: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Page[MatchOut]:
    """The enterprises offered the policy, each with the reason every rule held."""
    policy = await _policy(uow, policy_id)
    rows = await uow.repository(PolicyRepository).matches(policy.id, _scope(identity, policy), answer, after, limit + 1)
    items = [MatchOut.model_validate(row._asdict()) for row in rows[:limit]]
    next_cursor = encode_cursor([items[-1].enterprise_id]) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def take_up(uow: UnitOfWork, identity: Identity, policy_id: uuid.UUID) -> TakeUp:
    policy = await _policy(uow, policy_id)
    matched, applied, not_relevant = await uow.repository(PolicyRepository).take_up(policy.id, _scope(identity, policy))
    return TakeUp(
        policy_id=policy.id,
        matched=matched,
        applied=applied,
        not_relevant=not_relevant,
        unanswered=matched - applied - not_relevant,
        take_up_rate=round(applied / matched, 4) if matched else None,
    )


def _require_own(identity: Identity, enterprise_id: uuid.UUID) -> None:
    if not (Role.enterprise_rep in identity.roles and identity.enterprise_id == enterprise_id):
        raise NotYourEnterprise()


async def offers(
    uow: UnitOfWork,
    identity: Identity,
    enterprise_id: uuid.UUID,
    *,
    after: tuple[dt.datetime, uuid.UUID] | None,
    limit: int,
) -> Page[OfferOut]:
    """ "Policies for you": the policies offered to the caller's own enterprise, newest first."""
    _require_own(identity, enterprise_id)
    repository = uow.repository(PolicyRepository)
    rows = await repository.offers(enterprise_id, after, limit + 1)
    page = rows[:limit]
    counts = await repository.match_counts([row.Policy.id for row in page])
    items = [
        OfferOut.model_validate(
            {
                "policy": to_out(row.Policy, counts.get(row.Policy.id, 0)),
                "reasons": row.reasons,
                "answer": row.answer,
                "answered_at": row.answered_at,
                "matched_at": row.matched_at,
            }
        )
        for row in page
    ]
    last = page[-1] if page else None
    next_cursor = (
        encode_cursor([last.matched_at.isoformat(), last.Policy.id]) if last is not None and len(rows) > limit else None
    )
    return Page(items=items, next_cursor=next_cursor)


async def answer(
    uow: UnitOfWork, identity: Identity, enterprise_id: uuid.UUID, policy_id: uuid.UUID, body: AnswerIn
) -> tuple[AnswerOut, bool]:
    """The representative's one answer; (answer, created). The same answer again is a replay;
    another answer is 409 (the primary key settles a race)."""
    _require_own(identity, enterprise_id)
    repository = uow.repository(PolicyRepository)
    if not await repository.is_offered(policy_id, enterprise_id):
        raise PolicyNotOffered()
    created = await repository.answer(policy_id, enterprise_id, body.answer, identity.subject)
    stored = await repository.existing_answer(policy_id, enterprise_id)
    if stored is None or stored.answer != body.answer:
        raise PolicyAlreadyAnswered()
    return AnswerOut(
        policy_id=policy_id, enterprise_id=enterprise_id, answer=body.answer, answered_at=stored.answered_at
    ), created
