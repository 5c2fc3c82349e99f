"""Demo data for Xingguang (grids per tower group, a floor micro-grid, hazards and grid events in
every status) and the IoT community.

Building ids are the registry's demo ids (stable uuid5 constants in shared/demo.py, no import of
the registry); everything here has stable
ids too, and rows are inserted only when missing, so running the seed twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from grid.circles.models import Facility
from grid.events.models import GridEvent, GridEventHistory
from grid.grids.models import CommunitySetting, Grid, GridAssignment
from grid.hazards.models import Hazard, HazardHistory
from grid.inspections.models import ChecklistTemplate
from grid.workers.models import GridDuty, GridWorker
from shared.demo import FORMED_ON, IOT_BUILDING_IDS, IOT_ID, XINGGUANG_COMPLEX_ID, XINGGUANG_ID, XINGGUANG_TOWER_IDS
from shared.settings import PlatformSettings

NAMESPACE = uuid.UUID("0b6c5f0e-9d3a-4d8e-8a51-7c2f4b1e6a90")
XINGGUANG_CODE = "BJ-CH-XG"
TOWER_GROUPS = ("星耀城", "星光国际", "江南星座", "星汇中心", "钱江星座", "滨江商务中心")
WORKERS = ("王芳", "李强", "张敏", "刘洋", "陈静", "杨磊", "赵丽")


def stable_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts))


def grid_id(number: int) -> uuid.UUID:
    return stable_id("grid", "xingguang", number)


MICRO_GRID_ID = stable_id("grid", "xingguang", 1, "low-floors")

# (kind, sub_kind, name, lat, lon, opening hours): around the towers (30.2040-30.2088 N, 120.2060-120.2130 E)
FACILITIES: tuple[tuple[str, str, str, float, float, str], ...] = (
    ("life", "supermarket", "星光大道生活超市", 30.2079, 120.2110, "Mo-Su 08:00-22:00"),
    ("life", "canteen", "星耀城职工食堂", 30.2043, 120.2064, "Mo-Fr 07:00-19:00"),
    ("life", "convenience_store", "江南星座便利店", 30.2066, 120.2090, "24/7"),
    ("life", "laundry", "星汇中心洗衣房", 30.2052, 120.2126, "Mo-Su 09:00-21:00"),
    ("medical", "community_health_station", "星光社区卫生服务站", 30.2058, 120.2075, "Mo-Su 08:00-20:00"),
    ("medical", "pharmacy", "滨江大药房星光店", 30.2085, 120.2128, "Mo-Su 08:00-22:00"),
    ("fitness", "gym", "星光健身中心", 30.2046, 120.2101, "Mo-Su 06:00-23:00"),
    ("fitness", "sports_court", "江边运动场", 30.2095, 120.2070, "Mo-Su 06:00-21:00"),
    ("reading", "reading_room", "星光书房", 30.2041, 120.2061, "Tu-Su 09:00-21:00"),
    ("reading", "library_branch", "滨江图书馆江南分馆", 30.2030, 120.2150, "Tu-Su 09:00-20:00"),
)


IOT_CODE = "BJ-IOT"
IOT_OPENED = dt.date(2021, 1, 1)
IOT_GRIDS = ("智慧e谷网格", "芯图科技网格")
IOT_WORKERS = ("周婷", "吴昊")
# around the IoT community's four buildings (30.1996-30.2005 N, 120.1950 E): its four circles
IOT_FACILITIES: tuple[tuple[str, str, str, float, float, str], ...] = (
    ("life", "canteen", "物联网小镇职工食堂", 30.2001, 120.1958, "Mo-Fr 07:00-19:00"),
    ("life", "convenience_store", "智慧e谷便利店", 30.1995, 120.1953, "24/7"),
    ("medical", "clinic", "物联网社区健康驿站", 30.1990, 120.1962, "Mo-Sa 08:00-18:00"),
    ("fitness", "gym", "芯图健身房", 30.2007, 120.1957, "Mo-Su 06:30-22:30"),
    ("reading", "reading_room", "物联网书屋", 30.2003, 120.1944, "Mo-Su 09:00-21:00"),
)


def iot_grid_id(number: int) -> uuid.UUID:
    return stable_id("grid", "iot", number)


def _iot_rows() -> dict[str, list[dict[str, Any]]]:
    """The IoT community (opened January 2021): two grids over its four buildings, two workers."""
    grids = [
        {
            "id": iot_grid_id(number),
            "community_id": IOT_ID,
            "code": f"{IOT_CODE}-{number:03d}",
            "name": name,
            "kind": "basic",
            "parent_id": None,
            "child_sequence": 0,
            "valid_from": IOT_OPENED,
        }
        for number, name in enumerate(IOT_GRIDS, start=1)
    ]
    assignments = [
        {
            "id": stable_id("assignment", "iot", building),
            "grid_id": iot_grid_id(index // 2 + 1),
            "community_id": IOT_ID,
            "building_id": building,
            "floor_from": None,
            "floor_to": None,
            "valid_from": IOT_OPENED,
        }
        for index, building in enumerate(IOT_BUILDING_IDS)
    ]
    workers = [
        {
            "id": stable_id("worker", "iot", name),
            "community_id": IOT_ID,
            "name": name,
            "phone": f"1390000{index:04d}",
            "employment": "full_time",
            "user_subject": f"demo-iot-grid-worker-{index + 1}",
        }
        for index, name in enumerate(IOT_WORKERS)
    ]
    duties = [
        {
            "id": stable_id("duty", "iot", number),
            "grid_id": iot_grid_id(number),
            "worker_id": stable_id("worker", "iot", IOT_WORKERS[number - 1]),
            "role": "primary",
            "valid_from": IOT_OPENED,
        }
        for number in range(1, len(IOT_GRIDS) + 1)
    ]
    facilities = [
        {
            "id": stable_id("facility", "iot", name),
            "community_id": IOT_ID,
            "kind": kind,
            "sub_kind": sub_kind,
            "name": name,
            "lat": lat,
            "lon": lon,
            "opening_hours": hours,
        }
        for kind, sub_kind, name, lat, lon, hours in IOT_FACILITIES
    ]
    setting = {
        "community_id": IOT_ID,
        "community_code": IOT_CODE,
        "grid_sequence": len(IOT_GRIDS),
        "patrol_interval_days": 30,
    }
    return {
        "setting": [setting],
        "grids": grids,
        "assignments": assignments,
        "workers": workers,
        "duties": duties,
        "facilities": facilities,
    }


# The hazard ledger: one hazard in each status, with the history that led there.
HAZARDS: tuple[tuple[str, str, int, int, tuple[str, ...]], ...] = (
    # (level, description, tower index, floor, the actions taken)
    ("major", "地下车库消防通道被电动自行车堵塞", 0, -1, ()),
    ("general", "12 层配电箱门锁损坏、柜内积灰", 6, 12, ("start_rectification",)),
    ("general", "楼梯间应急照明灯不亮", 11, 8, ("start_rectification", "report_rectified")),
    ("major", "餐饮企业后厨燃气软管老化", 16, 2, ("start_rectification", "report_rectified", "verify")),
)
HAZARD_STEPS = {
    "start_rectification": ("reported", "rectifying"),
    "report_rectified": ("rectifying", "rectified"),
    "verify": ("rectified", "verified"),
}
# The grid events (report → accept → dispatch → handle → feedback → verify → close), one per stage.
EVENTS: tuple[tuple[str, str, str, int, tuple[str, ...]], ...] = (
    # (channel, category, title, tower index, the actions taken)
    ("app", "environment", "星光大道人行道共享单车乱停放", 2, ()),
    ("hotline", "public_facility", "3 号楼电梯异响", 3, ("accept",)),
    ("patrol", "fire_safety", "地下车库消防栓漏水", 7, ("accept", "dispatch")),
    ("enterprise", "public_facility", "园区路灯夜间不亮", 12, ("accept", "dispatch", "start_handling")),
    ("patrol", "environment", "垃圾分类投放点满溢", 18, ("accept", "dispatch", "start_handling", "handle", "feedback")),
    (
        "app",
        "public_security",
        "写字楼门禁失灵",
        22,
        ("accept", "dispatch", "start_handling", "handle", "feedback", "verify", "close"),
    ),
    ("hotline", "other", "咨询个人所得税申报(非网格事项)", 5, ("decline",)),
)
EVENT_STEPS = {
    "accept": ("reported", "accepted"),
    "decline": ("reported", "declined"),
    "dispatch": ("accepted", "dispatched"),
    "start_handling": ("dispatched", "handling"),
    "handle": ("handling", "handled"),
    "feedback": ("handled", "fed_back"),
    "verify": ("fed_back", "verified"),
    "close": ("verified", "closed"),
}


def _grid_of_tower(index: int) -> uuid.UUID:
    return grid_id(index // 5 + 1) if index else MICRO_GRID_ID


def _story_rows(today: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Hazards and grid events in every status, each with its history (stable ids: inserted once)."""
    rows: dict[str, list[dict[str, Any]]] = {"hazards": [], "hazard_history": [], "events": [], "event_history": []}
    staff = "demo-staff-xingguang"
    for number, (level, description, tower, floor, actions) in enumerate(HAZARDS, start=1):
        hazard = stable_id("hazard", number)
        worker = f"demo-grid-worker-{(tower // 5) + 1 if tower else 7}"
        status = HAZARD_STEPS[actions[-1]][1] if actions else "reported"
        rows["hazards"].append(
            {"id": hazard, "community_id": XINGGUANG_ID, "grid_id": _grid_of_tower(tower),
             "building_id": XINGGUANG_TOWER_IDS[tower], "floor": floor, "level": level,
             "description": description, "deadline": today + dt.timedelta(days=7 if level == "major" else 15),
             "status": status, "reported_by": worker, "version": 1 + len(actions)}
        )  # fmt: skip
        rows["hazard_history"].append(
            {"id": stable_id("hazard", number, "report"), "hazard_id": hazard, "action": "report",
             "from_status": None, "to_status": "reported", "actor": worker, "note": None}
        )  # fmt: skip
        for action in actions:
            source, target = HAZARD_STEPS[action]
            rows["hazard_history"].append(
                {"id": stable_id("hazard", number, action), "hazard_id": hazard, "action": action,
                 "from_status": source, "to_status": target, "actor": staff if action == "verify" else worker,
                 "note": None}
            )  # fmt: skip
    for number, (channel, category, title, tower, actions) in enumerate(EVENTS, start=1):
        event = stable_id("event", number)
        reporter = f"demo-employee-{number:04d}"
        grid = _grid_of_tower(tower)
        worker_name = WORKERS[(tower // 5) if tower else 6]
        dispatched = "dispatch" in actions
        status = EVENT_STEPS[actions[-1]][1] if actions else "reported"
        rows["events"].append(
            {"id": event, "community_id": XINGGUANG_ID, "grid_id": grid, "source_channel": channel,
             "category": category, "title": title, "description": None, "building_id": XINGGUANG_TOWER_IDS[tower],
             "floor": None, "reporter_subject": reporter, "status": status,
             "handler_type": "grid_worker" if dispatched else None,
             "handler_worker_id": stable_id("worker", worker_name) if dispatched else None,
             "handler_name": worker_name if dispatched else None,
             "deadline": dt.datetime.combine(today + dt.timedelta(days=3), dt.time(9), dt.UTC) if dispatched else None,
             "evaluation_rating": 5 if "close" in actions else None,
             "evaluation_comment": "处置及时" if "close" in actions else None, "version": 1 + len(actions)}
        )  # fmt: skip
        rows["event_history"].append(
            {"id": stable_id("event", number, "report"), "event_id": event, "action": "report",
             "from_status": "reported", "to_status": "reported", "actor": reporter, "actor_role": "employee",
             "note": None, "data": {"source_channel": channel}}
        )  # fmt: skip
        for action in actions:
            source, target = EVENT_STEPS[action]
            by_handler = action in ("start_handling", "handle")
            rows["event_history"].append(
                {"id": stable_id("event", number, action), "event_id": event, "action": action,
                 "from_status": source, "to_status": target,
                 "actor": f"demo-grid-worker-{WORKERS.index(worker_name) + 1}" if by_handler else staff,
                 "actor_role": "grid_worker" if by_handler else "community_staff",
                 "note": "非网格事项,已转 12366 纳税服务热线" if action == "decline" else None, "data": {}}
            )  # fmt: skip
    return rows


def _table(model: type[DeclarativeBase]) -> Table:
    """A model's table, as the `insert` of `load` wants it (mapped classes type it as FromClause)."""
    return cast(Table, model.__table__)


def _rows() -> dict[Table, list[dict[str, Any]]]:
    grids: list[dict[str, Any]] = [
        {
            "id": grid_id(number),
            "community_id": XINGGUANG_ID,
            "code": f"{XINGGUANG_CODE}-{number:03d}",
            "name": f"{group}网格",
            "kind": "dedicated" if number == 1 else "basic",
            "parent_id": None,
            "child_sequence": 1 if number == 1 else 0,
            "valid_from": FORMED_ON,
        }
        for number, group in enumerate(TOWER_GROUPS, start=1)
    ]
    grids.append(
        {
            "id": MICRO_GRID_ID,
            "community_id": XINGGUANG_ID,
            "code": f"{XINGGUANG_CODE}-001-01",
            "name": "星耀城 1 幢 1-10 层微网格",
            "kind": "dedicated",
            "parent_id": grid_id(1),
            "child_sequence": 0,
            "valid_from": FORMED_ON,
        }
    )
    assignments: list[dict[str, Any]] = []

    def assign(grid: uuid.UUID, building: uuid.UUID, floors: tuple[int | None, int | None] = (None, None)) -> None:
        assignments.append(
            {
                "id": stable_id("assignment", grid, building, floors),
                "grid_id": grid,
                "community_id": XINGGUANG_ID,
                "building_id": building,
                "floor_from": floors[0],
                "floor_to": floors[1],
                "valid_from": FORMED_ON,
            }
        )

    for index, building in enumerate(XINGGUANG_TOWER_IDS):
        if index == 0:
            assign(MICRO_GRID_ID, building, (None, 10))
            assign(grid_id(1), building, (11, None))
        else:
            assign(grid_id(index // 5 + 1), building)
    assign(grid_id(1), XINGGUANG_COMPLEX_ID)

    workers = [
        {
            "id": stable_id("worker", name),
            "community_id": XINGGUANG_ID,
            "name": name,
            "phone": f"1380000{index:04d}",
            "employment": "full_time" if index < 6 else "part_time",
            "user_subject": f"demo-grid-worker-{index + 1}",
        }
        for index, name in enumerate(WORKERS)
    ]
    duties = [
        {
            "id": stable_id("duty", number),
            "grid_id": grid_id(number),
            "worker_id": stable_id("worker", WORKERS[number - 1]),
            "role": "primary",
            "valid_from": FORMED_ON,
        }
        for number in range(1, len(TOWER_GROUPS) + 1)
    ]
    duties.append(
        {
            "id": stable_id("duty", "micro"),
            "grid_id": MICRO_GRID_ID,
            "worker_id": stable_id("worker", WORKERS[6]),
            "role": "primary",
            "valid_from": FORMED_ON,
        }
    )
    templates = [
        {
            "id": stable_id("template", category),
            "community_id": None,
            "name": name,
            "category": category,
            "items": [{"key": key, "question": question} for key, question in items],
        }
        for category, name, items in (
            (
                "fire_safety",
                "消防安全检查",
                (("exits_clear", "安全出口、疏散通道是否畅通"), ("extinguishers", "灭火器是否在有效期内")),
            ),
            ("electrical", "用电安全检查", (("no_overload", "是否存在私拉乱接、超负荷用电"),)),
            (
                "public_health",
                "公共卫生检查",
                (("ventilation", "公共区域通风是否良好"), ("cleaning", "消毒记录是否完整")),
            ),
        )
    ]
    facilities = [
        {
            "id": stable_id("facility", name),
            "community_id": XINGGUANG_ID,
            "kind": kind,
            "sub_kind": sub_kind,
            "name": name,
            "lat": lat,
            "lon": lon,
            "opening_hours": hours,
        }
        for kind, sub_kind, name, lat, lon, hours in FACILITIES
    ]
    setting = [
        {
            "community_id": XINGGUANG_ID,
            "community_code": XINGGUANG_CODE,
            "grid_sequence": len(TOWER_GROUPS),
            "patrol_interval_days": 30,
        }
    ]
    iot = _iot_rows()
    story = _story_rows(dt.datetime.now(dt.UTC).date())
    return {
        _table(CommunitySetting): setting + iot["setting"],
        _table(Grid): grids + iot["grids"],
        _table(GridAssignment): assignments + iot["assignments"],
        _table(GridWorker): workers + iot["workers"],
        _table(GridDuty): duties + iot["duties"],
        _table(ChecklistTemplate): templates,
        _table(Facility): facilities + iot["facilities"],
        _table(Hazard): story["hazards"],
        _table(HazardHistory): story["hazard_history"],
        _table(GridEvent): story["events"],
        _table(GridEventHistory): story["event_history"],
    }


async def load(connection: AsyncConnection) -> None:
    """Insert what is missing, parents first (grids before micro-grids and assignments)."""
    for table, rows in _rows().items():
        for row in rows:
            await connection.execute(insert(table).values(**row).on_conflict_do_nothing())


async def seed(database_url: str) -> None:
    """Load the grid service's demo data (idempotent)."""
    engine = create_async_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('grid:seed'))")
            await load(connection)
    finally:
        await engine.dispose()


__all__ = ["FACILITIES", "seed", "stable_id"]
