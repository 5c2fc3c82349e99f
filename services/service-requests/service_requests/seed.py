"""Demo catalogue: the specification's service list for Xingguang, under its six scenarios.

City services (employment security, healthcare), enterprise services (policy matching, financing
through the partner bank, livestream marketing through the MCN partner) and employee services
(skills training, social activities), each with its form, handler and deadlines. Staff edit from
here. Loaded through the catalogue's own rules, idempotently (a type whose code exists is kept).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine

from service_requests.catalogue import service as catalogue
from service_requests.catalogue.schemas import ServiceTypeCreate
from shared.auth import Identity, Role
from shared.db import create_sessionmaker
from shared.settings import PlatformSettings
from shared.uow import UnitOfWork

# the registry's demo community (registry/seed.py): ids are uuid5 of stable names, so no import is needed
XINGGUANG_ID = uuid.uuid5(uuid.UUID("6f1c1d2e-5b0a-4c53-9e55-0c1f2a7b9d10"), "community/xingguang")
# the gateway's demo partners (gateway/seed.py): ids are uuid5 of their names, so no import is needed
PARTNER_NAMESPACE = uuid.UUID("5d1f0c7e-2b8a-4f0e-9a61-3c9e7d2a4b10")
DEMO_BANK = uuid.uuid5(PARTNER_NAMESPACE, "杭州银行滨江科技支行")
DEMO_MCN = uuid.uuid5(PARTNER_NAMESPACE, "星光直播 MCN")
OPERATOR = Identity(subject="seed:service-requests", roles=frozenset({Role.platform_admin}))
DAYS = "working_days"


def _field(code: str, zh: str, en: str, datatype: str, order: int, **extra: Any) -> dict[str, Any]:
    return {"code": code, "label_zh": zh, "label_en": en, "datatype": datatype, "order": order, **extra}


def _choice(key: str, zh: str, en: str) -> dict[str, str]:
    return {"key": key, "label_zh": zh, "label_en": en}


def _deadlines(acknowledge_hours: int, resolve_days: int) -> dict[str, Any]:
    return {
        "acknowledge": {"amount": acknowledge_hours, "unit": "working_hours"},
        "resolve": {"amount": resolve_days, "unit": DAYS},
    }


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
        "handler": {"kind": "community_staff"},
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
        "handler": {"kind": "community_staff"},
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
        "handler": {"kind": "community_staff"},
        "deadlines": _deadlines(8, 10),
    },
    {
        "code": "bank-financing",
        "name_zh": "银行融资对接",
        "name_en": "Bank financing",
        "category": "enterprise",
        "scenario": "enterprise_service",
        "requester_roles": ["enterprise_rep"],
        "form": [
            _field("amount", "金额（万元）", "Amount (10k CNY)", "number", 1, required=True, shareable=True),
            _field("purpose", "用途", "Purpose", "string", 2, shareable=True),
        ],
        "handler": {"kind": "bank", "partner_ids": [str(DEMO_BANK)]},
        "deadlines": _deadlines(8, 10),
    },
    {
        "code": "livestream-marketing",
        "name_zh": "直播营销对接",
        "name_en": "Livestream marketing",
        "category": "enterprise",
        "scenario": "enterprise_service",
        "requester_roles": ["enterprise_rep"],
        "form": [_field("product", "产品", "Product", "string", 1, required=True, shareable=True)],
        "handler": {"kind": "mcn", "partner_ids": [str(DEMO_MCN)]},
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
        "handler": {"kind": "community_staff"},
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
        "handler": {"kind": "community_staff"},
        "deadlines": _deadlines(8, 10),
    },
)


def catalogue_for(community_id: uuid.UUID) -> list[ServiceTypeCreate]:
    """The starter catalogue as validated create requests for one community."""
    return [ServiceTypeCreate.model_validate({**entry, "community_id": str(community_id)}) for entry in CATALOGUE]


async def seed(database_url: str) -> None:
    """Load Xingguang's starter catalogue (idempotent: an existing code is left as staff edited it)."""
    engine = create_async_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await catalogue.seed_missing(UnitOfWork(session, None), OPERATOR, catalogue_for(XINGGUANG_ID))
    finally:
        await engine.dispose()
