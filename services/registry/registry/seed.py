"""Demo data: Changhe street, Zhongxing, Xingguang (formed 2023-05-12) and the IoT community.

Deterministic (fixed random seed, uuid5 ids) and idempotent: everything is written in one
transaction, and a database that already has the Xingguang community is left alone. Other
services' demo data may refer to the ids exported here.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine

from registry.buildings.models import Building, BuildingJurisdiction
from registry.common import period
from registry.communities.models import Community
from registry.database import platform_tables
from registry.enterprises.models import Enterprise, EnterpriseStatusPeriod, Headcount, Occupancy
from registry.enterprises.uscc import make_uscc
from registry.policies import service as policies
from registry.policies.schemas import PolicyCreate
from shared.auth import Identity, Role
from shared.demo import (
    FORMED_ON,
    IOT_BUILDING_IDS,
    IOT_ID,
    XINGGUANG_COMPLEX_ID,
    XINGGUANG_ID,
    XINGGUANG_TOWER_IDS,
    ZHONGXING_ID,
    registry_id,
)
from shared.outbox import record_events
from shared.settings import PlatformSettings
from shared.uow import UnitOfWork

__all__ = [
    "FORMED_ON",
    "IOT_BUILDING_IDS",
    "IOT_ID",
    "XIAOHONG_ID",
    "XINGGUANG_COMPLEX_ID",
    "XINGGUANG_ID",
    "XINGGUANG_TOWER_IDS",
    "ZHONGXING_ID",
    "seed",
]

# The ids other services' seeds refer to live in shared/demo.py (no service imports another).
stable_id = registry_id
CHANGHE_STREET = "长河街道"
ZHONGXING_GARDEN_ID = stable_id("building", "zhongxing-garden")
XIAOHONG_ID = stable_id("enterprise", "xiaohong")  # 杭州萧宏建设环境集团有限公司, named in the seed article
TRANSFER_REASON = "星光产业社区成立,30 座大厦及商业综合体由中兴社区划入"
ENTERPRISES = 1_700
IOT_ENTERPRISES = 40

TOWER_GROUPS = ("星耀城", "星光国际", "江南星座", "星汇中心", "钱江星座", "滨江商务中心")
APARTMENT_UNITS = (1100, 1000, 950, 900, 900, 850, 850, 850)  # about 7,400 serviced apartments
NAME_WORDS = (
    "星辰", "星河", "江南", "钱塘", "滨江", "云栖", "智汇", "数联", "芯动", "海创", "启明", "博远",
    "明道", "远图", "锐思", "清源", "和光", "睿智", "万象", "众联", "汇通", "天成", "宏图", "嘉禾",
    "鼎盛", "金石", "聚源", "卓越", "新锐", "灵犀", "青橙", "蓝海", "优品", "乐享", "恒信", "同创",
)  # fmt: skip
BRANCH_PLACES = ("滨江", "长河", "西兴", "浦沿", "江南", "物联", "星光", "钱塘")
INDUSTRIES = (  # (GB/T 4754 section, class, name word, weight)
    ("I", "6513", "软件科技", 24),
    ("I", "6432", "网络科技", 14),
    ("I", "6550", "信息技术", 10),
    ("I", "6450", "数据服务", 5),
    ("L", "7212", "投资管理", 6),
    ("L", "7241", "企业管理咨询", 6),
    ("M", "7320", "工程技术", 4),
    ("M", "7484", "设计", 4),
    ("F", "5292", "电子商务", 8),
    ("F", "5179", "贸易", 5),
    ("R", "8710", "文化传媒", 6),
    ("J", "6930", "融资租赁", 2),
    ("P", "8391", "教育科技", 3),
    ("K", "7040", "房地产经纪", 2),
    ("E", "4813", "建设工程", 1),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志浩宇"


def _governance(name: str) -> list[dict[str, Any]]:
    return [
        {"kind": "party_branch", "name": f"{name}党支部", "contact": f"{name}党群服务中心"},
        {"kind": "governance_committee", "name": f"{name}治理委员会", "contact": f"{name}公共服务中心"},
        {"kind": "public_service_center", "name": f"{name}公共服务中心", "contact": "工作日 9:00-17:30"},
        {"kind": "enterprise_social_work_station", "name": f"{name}企业社会工作站", "contact": f"{name}公共服务中心"},
        {"kind": "new_social_class_organisation", "name": f"{name}新阶层自治联合会", "contact": f"{name}党群服务中心"},
    ]


def communities() -> list[dict[str, Any]]:
    return [
        {
            "id": ZHONGXING_ID,
            "code": "BJ-CH-ZX",
            "name_zh": "中兴社区",
            "name_en": "Zhongxing Community",
            "type": "residential",
            "street": CHANGHE_STREET,
            "area_km2": None,
            "boundary": None,
            "established_on": None,
            "generation": None,
            "governance_bodies": [],
        },
        {
            "id": XINGGUANG_ID,
            "code": "BJ-CH-XG",
            "name_zh": "星光产业社区",
            "name_en": "Xingguang Industrial Community",
            "type": "business_building",
            "street": CHANGHE_STREET,
            "area_km2": 0.96,
            "boundary": {
                "east": "江陵路",
                "west": "江虹路",
                "south": "滨盛路—江晖路—江南大道—泰安路—滨盛路",
                "north": "钱塘江",
                "polygon": None,
            },
            "established_on": FORMED_ON,
            "generation": "2.0",
            "governance_bodies": _governance("星光产业社区"),
        },
        {
            "id": IOT_ID,
            "code": "BJ-IOT",
            "name_zh": "物联网产业社区",
            "name_en": "IoT Industrial Community",
            "type": "tech_innovation",
            "street": CHANGHE_STREET,
            "area_km2": None,
            "boundary": {"east": "西兴路", "west": "共联路", "south": "联慧街", "north": "江南大道", "polygon": None},
            "established_on": dt.date(2021, 1, 1),
            "generation": "1.0",
            "governance_bodies": _governance("物联网产业社区"),
        },
    ]


def buildings() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Buildings and their jurisdiction periods."""
    rows: list[dict[str, Any]] = []
    periods: list[dict[str, Any]] = []

    def add(building_id: uuid.UUID, name: str, kind: str, lat: float, lon: float, **extra: Any) -> None:
        rows.append(
            {"id": building_id, "name": name, "kind": kind, "latitude": lat, "longitude": lon, **extra}
            | {"address": extra.get("address", f"杭州市滨江区{name}")}
        )

    add(ZHONGXING_GARDEN_ID, "中兴花园", "residential_compound", 30.2035, 120.2142, floors=18, units=1600)
    periods.append({"building_id": ZHONGXING_GARDEN_ID, "community_id": ZHONGXING_ID, "from": dt.date(2000, 1, 1)})
    add(XINGGUANG_COMPLEX_ID, "星光大道商业综合体", "commercial_complex", 30.2079, 120.2110, floors=6, units=420)
    for index, building_id in enumerate(XINGGUANG_TOWER_IDS):
        group, number = TOWER_GROUPS[index // 5], index % 5 + 1
        apartments = index >= 30 - len(APARTMENT_UNITS)
        add(
            building_id,
            f"{group} {number} 幢",
            "serviced_apartments" if apartments else "office_tower",
            30.2040 + (index // 6) * 0.0012,
            120.2060 + (index % 6) * 0.0014,
            floors=18 + (index * 7) % 22,
            units=APARTMENT_UNITS[index - (30 - len(APARTMENT_UNITS))] if apartments else 120 + (index * 37) % 200,
        )
    for building_id in (XINGGUANG_COMPLEX_ID, *XINGGUANG_TOWER_IDS):
        periods.append({"building_id": building_id, "community_id": ZHONGXING_ID, "from": dt.date(2008, 1, 1)})
        periods.append({"building_id": building_id, "community_id": XINGGUANG_ID, "from": FORMED_ON})
    iot = (("智慧e谷", "industrial_park"), ("诚高大厦", "office_tower"), ("聚光科技园", "industrial_park"))
    for (name, kind), building_id in zip((*iot, ("芯图科技大楼", "office_tower")), IOT_BUILDING_IDS, strict=True):
        add(building_id, name, kind, 30.1900 + len(rows) * 0.0003, 120.1950, floors=12, units=None)
        periods.append({"building_id": building_id, "community_id": IOT_ID, "from": dt.date(2021, 1, 1)})
    jurisdiction = []
    for item in periods:
        later = [p["from"] for p in periods if p["building_id"] == item["building_id"] and p["from"] > item["from"]]
        jurisdiction.append(
            {
                "id": stable_id("jurisdiction", item["building_id"], item["from"]),
                "building_id": item["building_id"],
                "community_id": item["community_id"],
                "from_community_id": ZHONGXING_ID if item["from"] == FORMED_ON else None,
                "during": period(item["from"], min(later) if later else None),
                "reason": TRANSFER_REASON if item["from"] == FORMED_ON else "登记",
            }
        )
    return rows, jurisdiction


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "158", "186", "187")) + "".join(str(rng.randrange(10)) for _ in range(8))


def enterprises() -> dict[str, list[dict[str, Any]]]:
    """About 1,700 synthetic enterprises with valid USCCs, their sites, statuses and headcounts."""
    rng = random.Random(20230512)
    weights = [industry[3] for industry in INDUSTRIES]
    tables: dict[str, list[dict[str, Any]]] = {"enterprise": [], "status": [], "occupancy": [], "headcount": []}
    names: set[str] = set()
    usccs: set[str] = set()
    xingguang_sites = (XINGGUANG_COMPLEX_ID, *XINGGUANG_TOWER_IDS)
    for number in range(ENTERPRISES):
        if number == 0:
            enterprise_id, section, code, name = XIAOHONG_ID, "E", "4813", "杭州萧宏建设环境集团有限公司"
        else:
            enterprise_id = stable_id("enterprise", number)
            section, code, word, _ = rng.choices(INDUSTRIES, weights)[0]
            # two different words, as real trade names have (never 杭州恒信恒信…)
            first, second, third = rng.sample(NAME_WORDS, 3)
            name = f"杭州{first}{second}{word}有限公司"
            if name in names:
                name = f"杭州{first}{third}{second}{word}有限公司"
            while name in names:
                name = f"杭州{first}{second}{word}{rng.choice(BRANCH_PLACES)}分公司"
        names.add(name)
        uscc = make_uscc(number)
        while uscc in usccs:
            uscc = make_uscc(number + 1_000_000 * len(usccs))
        usccs.add(uscc)
        in_iot = number >= ENTERPRISES - IOT_ENTERPRISES
        started = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(14 * 365))
        moved_out = None if rng.random() > 0.03 else started + dt.timedelta(days=rng.randrange(200, 1500))
        if moved_out is not None and moved_out >= dt.date(2025, 6, 1):
            moved_out = None
        represented = rng.random() < 0.8
        tables["enterprise"].append(
            {
                "id": enterprise_id,
                "uscc": uscc,
                "name": name,
                "legal_representative": _person(rng),
                "registered_address": "杭州市滨江区长河街道"
                + ("物联网街" if in_iot else "江南大道")
                + f"{rng.randrange(1, 4000)}号",
                "operating_address": None,
                "industry_section": section,
                "industry_code": code,
                "registered_capital": float(rng.choice((50, 100, 200, 500, 1000, 3000, 5000))),
                "status": "moved_out" if moved_out else "active",
                "contact_name": _person(rng),
                "contact_phone": _phone(rng),
                "representative_name": _person(rng) if represented else None,
                "representative_phone": _phone(rng) if represented else None,
                "representative_user_subject": f"demo-rep-{number:04d}" if represented else None,
                "representative_authorization_ref": f"SQ-{uscc[-8:]}" if represented else None,
                "representative_valid_until": dt.date(2027, 12, 31) if represented else None,
            }
        )
        tables["status"].append(
            {"id": stable_id("status", enterprise_id, 1), "enterprise_id": enterprise_id, "status": "active",
             "during": period(started, moved_out)}
        )  # fmt: skip
        if moved_out is not None:
            tables["status"].append(
                {"id": stable_id("status", enterprise_id, 2), "enterprise_id": enterprise_id, "status": "moved_out",
                 "during": period(moved_out)}
            )  # fmt: skip
        sites = IOT_BUILDING_IDS if in_iot else xingguang_sites
        chosen = rng.sample(sites, 2 if rng.random() < 0.05 else 1)
        for site, building_id in enumerate(chosen):
            floor = rng.randrange(2, 30)
            tables["occupancy"].append(
                {
                    "id": stable_id("occupancy", enterprise_id, site),
                    "enterprise_id": enterprise_id,
                    "building_id": building_id,
                    "floor": str(floor),
                    "unit": f"{floor}{rng.randrange(1, 20):02d}",
                    "during": period(started, moved_out),
                }
            )
        employees = max(3, int(rng.lognormvariate(3.0, 1.1)))
        for year in (2023, 2024):
            as_of = dt.date(year, 12, 31)
            if as_of < started or (moved_out is not None and as_of >= moved_out):
                continue
            tables["headcount"].append(
                {
                    "id": stable_id("headcount", enterprise_id, year),
                    "enterprise_id": enterprise_id,
                    "as_of": as_of,
                    "employees": employees,
                    "average_age": round(rng.gauss(29.5, 2.5), 1),
                    "graduates": int(employees * rng.uniform(0.4, 0.9)),
                    "high_level_talents": int(employees * rng.uniform(0, 0.05)),
                }
            )
            employees = max(3, int(employees * rng.uniform(0.85, 1.25)))
    return tables


def _events(
    buildings: list[dict[str, Any]], jurisdiction: list[dict[str, Any]], tables: dict[str, list[dict[str, Any]]]
) -> list[tuple[str, str, uuid.UUID, dict[str, Any]]]:
    """The feed a consumer would have seen had the data been entered through the API."""
    events: list[tuple[str, str, uuid.UUID, dict[str, Any]]] = []
    for row in jurisdiction:
        if row["during"].lower == FORMED_ON:
            payload: dict[str, Any] = {
                "building_id": str(row["building_id"]),
                "from_community_id": str(ZHONGXING_ID),
                "to_community_id": str(XINGGUANG_ID),
                "effective_on": FORMED_ON.isoformat(),
                "reason": TRANSFER_REASON,
            }
            events.append(("BuildingTransferred", "building", row["building_id"], payload))
    community_of = {row["building_id"]: row["community_id"] for row in jurisdiction if row["during"].upper is None}
    for row in tables["enterprise"]:
        payload = {"enterprise_id": str(row["id"]), "uscc": row["uscc"], "name": row["name"]}
        events.append(("EnterpriseRegistered", "enterprise", row["id"], payload))
        if row["representative_user_subject"]:
            payload = {
                "enterprise_id": str(row["id"]),
                "phone": row["representative_phone"],
                "user_subject": row["representative_user_subject"],
                "valid_until": row["representative_valid_until"].isoformat(),
            }
            events.append(("RepresentativeChanged", "enterprise", row["id"], payload))
    for row in tables["occupancy"]:
        payload = {
            "enterprise_id": str(row["enterprise_id"]),
            "building_id": str(row["building_id"]),
            "community_id": str(community_of[row["building_id"]]),
            "floor": row["floor"],
            "unit": row["unit"],
            "valid_from": row["during"].lower.isoformat(),
            "valid_to": row["during"].upper.isoformat() if row["during"].upper else None,
        }
        events.append(("OccupancyStarted", "enterprise", row["enterprise_id"], payload))
    return events


async def _insert(connection: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT; every row must name the same columns.

    SQLAlchemy takes the column list of a multi-row insert from its first row, so a key missing
    there would be dropped silently from every other row (the demo once lost Xingguang's area).
    """
    columns = set(rows[0]) if rows else set()
    for row in rows:
        if set(row) != columns:
            raise ValueError(f"seed rows for {table} differ in columns: {sorted(columns ^ set(row))}")
    await connection.execute(insert(table), rows)


async def load(connection: AsyncConnection) -> bool:
    """Insert the demo data unless it is there already; returns whether anything was written."""
    if await connection.scalar(select(Community.id).where(Community.id == XINGGUANG_ID)) is not None:
        return False
    building_rows, jurisdiction = buildings()
    tables = enterprises()
    await _insert(connection, Community, communities())
    await _insert(connection, Building, building_rows)
    await _insert(connection, BuildingJurisdiction, jurisdiction)
    await _insert(connection, Enterprise, tables["enterprise"])
    await _insert(connection, EnterpriseStatusPeriod, tables["status"])
    await _insert(connection, Occupancy, tables["occupancy"])
    await _insert(connection, Headcount, tables["headcount"])
    # the events go through the outbox writer (its batch form), in the seed's transaction
    async with AsyncSession(bind=connection) as session:
        await record_events(session, platform_tables.outbox_event, _events(building_rows, jurisdiction, tables))
        # two policies, published (and matched, and offered) through the domain's own rule
        uow = UnitOfWork(session, None)
        for body in DEMO_POLICIES:
            await policies.publish(uow, SEED_ADMIN, PolicyCreate.model_validate(body))
        await session.flush()
    return True


SEED_ADMIN = Identity(subject="seed:registry", roles=frozenset({Role.platform_admin}))
# A district-wide policy for young software and R&D firms, and Xingguang's own for talent.
DEMO_POLICIES: tuple[dict[str, Any], ...] = (
    {
        "title": "滨江区科技型中小企业研发费用补助",
        "issuer": "杭州市滨江区科学技术局",
        "summary": "成立八年内、职工十至五百人的软件与科技服务企业,按上年度研发投入给予补助。",
        "link": "https://www.hhtz.gov.cn/",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "rules": [
            {"field": "industry_section", "any_of": ["I", "M"]},
            {"field": "headcount", "min": 10, "max": 500},
            {"field": "years_since_founding", "max": 8},
        ],
    },
    {
        "community_id": str(XINGGUANG_ID),
        "title": "星光产业社区高层次人才租房补贴",
        "issuer": "星光产业社区公共服务中心",
        "summary": "有认定高层次人才的企业,其人才入住社区服务式公寓给予租金补贴。",
        "valid_from": "2026-01-01",
        "rules": [{"field": "high_level_talents", "min": 1}],
    },
)


SEEDED_TABLES = (
    "community",
    "building",
    "building_jurisdiction",
    "enterprise",
    "enterprise_status_period",
    "occupancy",
    "headcount",
    "policy",
    "policy_match",
)


async def seed(database_url: str) -> None:
    """Load the registry's demo data (idempotent)."""
    engine = create_async_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        async with engine.begin() as connection:
            # Two seeders at once (parallel `make seed`) must not both insert.
            await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('registry:seed'))")
            await load(connection)
            # Planner statistics for the freshly loaded tables now, not whenever autovacuum gets to them.
            await connection.exec_driver_sql("ANALYZE " + ", ".join(f"registry.{table}" for table in SEEDED_TABLES))
    finally:
        await engine.dispose()
