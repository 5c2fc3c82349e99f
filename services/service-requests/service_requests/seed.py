"""Demo data: the starter catalogue (catalogue/template.py) for Xingguang under its own six brands,
requests in every status with their ratings, and activities with enrolments and a waiting list.

Loaded through the catalogue's own rules, idempotently (a type whose code exists is kept, brand
names staff set are kept).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from service_requests.activities import service as activity_service
from service_requests.activities.models import Activity
from service_requests.activities.schemas import ActivityCreate
from service_requests.catalogue import service as catalogue
from service_requests.catalogue import template
from service_requests.catalogue.models import ServiceType
from service_requests.catalogue.repository import BrandRepository
from service_requests.catalogue.schemas import Scenario, ServiceTypeCreate
from service_requests.requests import ratings, submission, transitions
from service_requests.requests.models import ServiceRequest
from service_requests.requests.schemas import RatingCreate, RequestCreate, ReturnVisitCreate, TransitionCreate
from service_requests.requests.workflow import Action
from shared.auth import Identity, Role
from shared.db import create_sessionmaker
from shared.demo import registry_id
from shared.settings import PlatformSettings
from shared.uow import UnitOfWork

# the registry's demo community (registry/seed.py): ids are uuid5 of stable names, so no import is needed
XINGGUANG_ID = uuid.uuid5(uuid.UUID("6f1c1d2e-5b0a-4c53-9e55-0c1f2a7b9d10"), "community/xingguang")
# the gateway's demo partners (gateway/seed.py): ids are uuid5 of their names, so no import is needed
PARTNER_NAMESPACE = uuid.UUID("5d1f0c7e-2b8a-4f0e-9a61-3c9e7d2a4b10")
DEMO_BANK = uuid.uuid5(PARTNER_NAMESPACE, "杭州银行滨江科技支行")
DEMO_MCN = uuid.uuid5(PARTNER_NAMESPACE, "星光直播 MCN")
OPERATOR = Identity(subject="seed:service-requests", roles=frozenset({Role.platform_admin}))


def catalogue_for(community_id: uuid.UUID) -> list[ServiceTypeCreate]:
    """The starter catalogue for one community, financing and livestream marketing routed to the
    demo's partners."""
    return template.catalogue_for(community_id, DEMO_BANK, DEMO_MCN)


XINGGUANG_NAMES = {scenario.value: {"zh": zh, "en": en} for scenario, (zh, en) in template.XINGGUANG_BRANDS.items()}


STAFF = Identity(
    subject="demo-staff-xingguang", roles=frozenset({Role.community_staff}), community_ids=frozenset({XINGGUANG_ID})
)


def _person(role: Role, number: int) -> Identity:
    """An employee (or the representative) of the registry's demo enterprise `number` in Xingguang."""
    subject = f"demo-rep-{number:04d}" if role is Role.enterprise_rep else f"demo-employee-{number:04d}"
    return Identity(
        subject=subject,
        roles=frozenset({role}),
        enterprise_id=registry_id("enterprise", number),
        community_ids=frozenset({XINGGUANG_ID}),
    )


# Requests in every status, with the ratings of the 好差评 loop: (type code, requester, description,
# answers, steps). A step is an action by staff (with its reason), or ("rate", score), ("visit", notes).
Step = tuple[str, Any]
REQUESTS: tuple[tuple[str, Identity, str, dict[str, Any], tuple[Step, ...]], ...] = (
    ("employment-security", _person(Role.employee, 11), "新入职员工社保参保登记咨询",
     {"topic": "social_insurance"}, ()),
    ("healthcare", _person(Role.employee, 12), "预约园区年度体检", {"need": "年度体检预约"}, (("accept", None),)),
    ("policy-matching", _person(Role.enterprise_rep, 13), "研发费用加计扣除政策咨询", {"field": "tax"},
     (("accept", None), ("assign", None))),
    ("skills-training", _person(Role.employee, 14), "报名直播电商运营培训", {"course": "直播电商运营"},
     (("accept", None), ("start", None))),
    ("employment-security", _person(Role.employee, 15), "人才补贴申请材料确认", {"topic": "talent_subsidy"},
     (("accept", None), ("start", None), ("request_info", "请补充学历证书扫描件"))),
    ("healthcare", _person(Role.employee, 16), "办公楼 AED 配置咨询", {"need": "AED 配置"},
     (("accept", None), ("start", None), ("resolve", "已联系卫生服务站上门培训并配置"))),
    ("policy-matching", _person(Role.enterprise_rep, 17), "高新技术企业认定辅导", {"field": "tech"},
     (("accept", None), ("start", None), ("resolve", "已安排专员一对一辅导"), ("rate", 5))),
    ("social-activities", _person(Role.employee, 18), "建议组织周末羽毛球联谊", {"idea": "每月一次羽毛球联谊赛"},
     (("accept", None), ("start", None), ("resolve", "已纳入下月活动计划"), ("rate", 4))),
    ("employment-security", _person(Role.employee, 19), "公积金提取进度查询", {"topic": "housing_fund"},
     (("accept", None), ("start", None), ("resolve", "已告知办理进度"), ("rate", 1))),
    ("skills-training", _person(Role.employee, 20), "Python 数据分析课程报名", {"course": "Python 数据分析"},
     (("accept", None), ("start", None), ("resolve", "已报名"), ("rate", 2), ("visit", "电话回访:课程时间冲突"),
      ("start", None), ("resolve", "已调至周末班"), ("rate", 4))),
    ("healthcare", _person(Role.employee, 21), "申请代办个人医保异地备案", {"need": "医保异地备案"},
     (("reject", "请通过浙里办自行办理,社区可提供指导"),)),
    ("social-activities", _person(Role.employee, 22), "建议举办读书分享会", {"idea": "读书分享会"},
     (("cancel", None),)),
)  # fmt: skip

# Activities with enrolments; the first is over-subscribed, so it has a waiting list.
ACTIVITIES: tuple[tuple[str, Scenario, int, int, tuple[str, ...], int], ...] = (
    # (title, scenario, days from now, capacity, eligible roles, how many enrol)
    ("直播电商技能培训", Scenario.personal_growth, 5, 6, ("employee",), 9),
    ("星光青年羽毛球联谊赛", Scenario.leisure, 9, 30, ("employee",), 12),
    ("党建引领·企业发展沙龙", Scenario.party_building, 12, 20, ("enterprise_rep",), 7),
)


async def _story(session: AsyncSession, now: dt.datetime) -> None:
    """Xingguang's requests in every status and its activities (skipped when the demo's are there)."""
    uow = UnitOfWork(session, None)
    if await session.scalar(select(func.count()).where(ServiceRequest.requester_subject.like("demo-%"))) == 0:
        query = select(ServiceType.code, ServiceType.id).where(ServiceType.community_id == XINGGUANG_ID)
        types = dict((await session.execute(query)).all())
        for index, (code, requester, description, answers, steps) in enumerate(REQUESTS):
            # filed over the last three days, each step three hours apart, the last before now (so
            # the resolved one stays resolved: the job closes unrated ones after 7 days)
            at = now - dt.timedelta(hours=4 * (len(REQUESTS) - index) + 3 * len(steps) + 1)
            body = RequestCreate(type_id=types[code], description=description, answers=answers)
            created = await submission.submit(uow, requester, body, at)
            request_id, version = created.id, created.version
            for action, value in steps:
                at += dt.timedelta(hours=3)
                if action == "rate":
                    version = (await ratings.rate(uow, requester, request_id, RatingCreate(score=value), at)).version
                elif action == "visit":
                    visit = ReturnVisitCreate(notes=value)
                    version = (await ratings.return_visit(uow, STAFF, request_id, visit, at)).version
                else:
                    who = requester if action == "cancel" else STAFF
                    move = TransitionCreate(action=Action(action), reason=value)
                    version = (await transitions.transition(uow, who, request_id, version, move, at)).version
    titles = set((await session.execute(select(Activity.title).where(Activity.community_id == XINGGUANG_ID))).scalars())
    for title, scenario, days, capacity, roles, enrolling in ACTIVITIES:
        if title in titles:
            continue
        starts = now.replace(hour=6, minute=0, second=0, microsecond=0) + dt.timedelta(days=days)
        published = ActivityCreate(
            community_id=XINGGUANG_ID, title=title, scenario=scenario, starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2), place="星光产业社区党群服务中心 3 楼", capacity=capacity,
            eligible_roles=list(roles),
        )  # fmt: skip
        activity = await activity_service.create(uow, STAFF, published)
        role = Role.enterprise_rep if "enterprise_rep" in roles else Role.employee
        for number in range(100, 100 + enrolling):
            await activity_service.enroll(uow, _person(role, number), activity.id, now)
        if enrolling > capacity:  # someone gives up a seat: the first on the waiting list takes it
            await activity_service.cancel(uow, _person(role, 100), activity.id, now)


async def seed(database_url: str) -> None:
    """Load Xingguang's starter catalogue (idempotent: an existing code is left as staff edited it),
    then its demo requests and activities (skipped when they are there)."""
    engine = create_async_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            uow = UnitOfWork(session, None)
            await catalogue.seed_missing(uow, OPERATOR, catalogue_for(XINGGUANG_ID))
            # Xingguang's own six brands (星领秀 ...), unless staff have set them already
            await uow.repository(BrandRepository).create(XINGGUANG_ID, XINGGUANG_NAMES, OPERATOR.subject)
        async with create_sessionmaker(engine)() as session, session.begin():
            # two seeders at once (parallel `make seed`) must not both write the story
            await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('service-requests:seed'))"))
            await _story(session, dt.datetime.now(dt.UTC))
    finally:
        await engine.dispose()
