"""The starter catalogue (the specification's service list) and the default scenario brands, as data.

City services (employment security, healthcare), enterprise services (policy matching, financing
through a partner bank, livestream marketing through an MCN partner) and employee services
(skills training, social activities), each with its form, handler and deadlines. Applying it to a
community (`POST /v1/service-types/starter-catalogue`) creates the types whose code the community
lacks; staff edit from there. The demo seed applies it to Xingguang.
"""

from __future__ import annotations

import uuid
from typing import Any

from service_requests.catalogue.schemas import Scenario, ServiceTypeCreate

DAYS = "working_days"

# The platform's generic names; Xingguang's own are the article's six (XINGGUANG_BRANDS).
DEFAULT_BRANDS: dict[Scenario, tuple[str, str]] = {
    Scenario.party_building: ("党建引领", "Party building"),
    Scenario.enterprise_service: ("企业服务", "Enterprise services"),
    Scenario.life_service: ("生活服务", "Life services"),
    Scenario.leisure: ("休闲娱乐", "Leisure"),
    Scenario.personal_growth: ("成长发展", "Personal growth"),
    Scenario.team_building: ("团队建设", "Team building"),
}
XINGGUANG_BRANDS: dict[Scenario, tuple[str, str]] = {
    Scenario.party_building: ("星领秀", "Xing Lingxiu (party building)"),
    Scenario.enterprise_service: ("星悦企", "Xing Yueqi (enterprise services)"),
    Scenario.life_service: ("星安居", "Xing Anju (life services)"),
    Scenario.leisure: ("星娱乐", "Xing Yule (leisure)"),
    Scenario.personal_growth: ("星育才", "Xing Yucai (personal growth)"),
    Scenario.team_building: ("星力量", "Xing Liliang (team building)"),
}


def _field(code: str, zh: str, en: str, datatype: str, order: int, **extra: Any) -> dict[str, Any]:
    return {"code": code, "label_zh": zh, "label_en": en, "datatype": datatype, "order": order, **extra}


def _choice(key: str, zh: str, en: str) -> dict[str, str]:
    return {"key": key, "label_zh": zh, "label_en": en}


def _deadlines(acknowledge_hours: int, resolve_days: int) -> dict[str, Any]:
    return {
        "acknowledge": {"amount": acknowledge_hours, "unit": "working_hours"},
        "resolve": {"amount": resolve_days, "unit": DAYS},
    }


STAFF_HANDLER = {"kind": "community_staff"}
BANK, MCN = "bank-financing", "livestream-marketing"  # the two codes routed to a partner when one is named

CATALOGUE: tuple[dict[str, Any], ...] = (
    {
        "code": "employment-security",
        "name_zh": "就业社保服务",
        "name_en": "Employment and social insurance",
        "category": "city",
        "scenario": "life_service",
        "requester_roles": ["enterprise_rep", "employee"],
        "form": [
            _field(
                "topic",
                "事项",
                "Topic",
                "single_choice",
                1,
                required=True,
                choices=[
                    _choice("social_insurance", "社保参保", "Social insurance"),
                    _choice("housing_fund", "公积金", "Housing fund"),
                    _choice("talent_subsidy", "人才补贴", "Talent subsidy"),
                ],
            ),
        ],
        "handler": STAFF_HANDLER,
        "deadlines": _deadlines(4, 5),
    },
    {
        "code": "healthcare",
        "name_zh": "健康医疗服务",
        "name_en": "Healthcare",
        "category": "city",
        "scenario": "life_service",
        "requester_roles": ["enterprise_rep", "employee"],
        "form": [_field("need", "需求", "What you need", "string", 1, required=True)],
        "handler": STAFF_HANDLER,
        "deadlines": _deadlines(4, 3),
    },
    {
        "code": "policy-matching",
        "name_zh": "政策资源对接",
        "name_en": "Policy and resource matching",
        "category": "enterprise",
        "scenario": "enterprise_service",
        "requester_roles": ["enterprise_rep"],
        "form": [
            _field(
                "field",
                "领域",
                "Field",
                "single_choice",
                1,
                required=True,
                choices=[
                    _choice("tech", "科技创新", "Technology"),
                    _choice("talent", "人才", "Talent"),
                    _choice("tax", "财税", "Tax"),
                ],
            ),
        ],
        "handler": STAFF_HANDLER,
        "deadlines": _deadlines(8, 10),
    },
    {
        "code": BANK,
        "name_zh": "银行融资对接",
        "name_en": "Bank financing",
        "category": "enterprise",
        "scenario": "enterprise_service",
        "requester_roles": ["enterprise_rep"],
        "form": [
            _field("amount", "金额（万元）", "Amount (10k CNY)", "number", 1, required=True, shareable=True),
            _field("purpose", "用途", "Purpose", "string", 2, shareable=True),
        ],
        "handler": STAFF_HANDLER,
        "deadlines": _deadlines(8, 10),
    },
    {
        "code": MCN,
        "name_zh": "直播营销对接",
        "name_en": "Livestream marketing",
        "category": "enterprise",
        "scenario": "enterprise_service",
        "requester_roles": ["enterprise_rep"],
        "form": [_field("product", "产品", "Product", "string", 1, required=True, shareable=True)],
        "handler": STAFF_HANDLER,
        "deadlines": _deadlines(8, 10),
    },
    {
        "code": "skills-training",
        "name_zh": "技能培训",
        "name_en": "Skills training",
        "category": "employee",
        "scenario": "personal_growth",
        "requester_roles": ["employee"],
        "form": [_field("course", "课程", "Course", "string", 1, required=True)],
        "handler": STAFF_HANDLER,
        "deadlines": _deadlines(8, 5),
    },
    {
        "code": "social-activities",
        "name_zh": "社交联谊活动",
        "name_en": "Social activities",
        "category": "employee",
        "scenario": "leisure",
        "requester_roles": ["employee"],
        "form": [_field("idea", "活动建议", "Suggestion", "text", 1, required=True)],
        "handler": STAFF_HANDLER,
        "deadlines": _deadlines(8, 10),
    },
)


def catalogue_for(
    community_id: uuid.UUID, bank_partner_id: uuid.UUID | None = None, mcn_partner_id: uuid.UUID | None = None
) -> list[ServiceTypeCreate]:
    """The starter catalogue as validated create requests for one community. Financing and
    livestream marketing are routed to the partners named; without one, to the community's staff
    (who may route the type to a partner later)."""
    partners = {BANK: ("bank", bank_partner_id), MCN: ("mcn", mcn_partner_id)}
    bodies = []
    for entry in CATALOGUE:
        kind, partner = partners.get(entry["code"], ("community_staff", None))
        handler = {"kind": kind, "partner_ids": [str(partner)]} if partner is not None else STAFF_HANDLER
        bodies.append(
            ServiceTypeCreate.model_validate({**entry, "handler": handler, "community_id": str(community_id)})
        )
    return bodies
